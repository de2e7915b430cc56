import Foundation

/// A task's tree fields, stored behind one reference: copying a ``TaskRecord`` (which the engine does at every step)
/// then retains one object instead of seven strings, and a plain task (every field at its default) holds none.
/// A record reads and sets them as its own (`task.type`, `task.hasChildren`) through its dynamic members.
public struct TaskTreeFields: Sendable, Hashable {
    /// The fields themselves.
    public struct Values: Sendable, Hashable {
        /// What the progress counts, e.g. `ranges` or `bytes` (ScyllaDB's `progress_units`).
        public var progressUnits: String? = nil
        /// The operation the task belongs to, e.g. `repair` or `major compaction` (ScyllaDB's `type`).
        public var type: String? = nil
        /// Which part of the operation it covers, e.g. `keyspace` or `table` (ScyllaDB's `scope`).
        public var scope: String? = nil
        /// The object it works on, free-form (ScyllaDB's `entity`).
        public var entity: String? = nil
        /// The keyspace (or database, schema) it works on, free-form.
        public var keyspace: String? = nil
        /// The table it works on, free-form.
        public var table: String? = nil
        /// Whether the task runs on one node (`local`) or stands for work spread over every node (`global`).
        public var locality: TaskLocality = .local
        /// Whether an abort (cancel) may stop it; a task that is not abortable refuses one.
        public var isAbortable = true
        /// The operation's number within its module: a root task gets the module's next number, a child its root's.
        /// `nil` for a task without a module.
        public var sequenceNumber: Int? = nil
        /// Whether a user started it (CLI, HTTP, dashboard) rather than code: such a finished root is kept for the
        /// user TTL rather than the TTL.
        public var isUserTask = false
        /// The only worker (its lease name) that may claim the task: one part of a broadcast. Empty for a global task's
        /// own row, which no worker claims; `nil` for a task any worker may claim.
        public var targetWorker: String? = nil
        /// Whether a child was ever enqueued under this task (the stores set it with the first child).
        public var hasChildren = false
        /// Whether the task was folded into its tree: it succeeded inside a finished tree, so only its essentials are
        /// kept (its arguments and attempts are dropped) and general listings leave it out; its tree still shows it.
        public var isFolded = false

        static let defaults = Values()

        /// The free-form labels by their names in the API and in task specs, in the order the API writes them: one
        /// list for checking, reading and writing them.
        public static let labels: [(name: String, field: any WritableKeyPath<Values, String?> & Sendable)] = [
            ("progress_units", \.progressUnits), ("type", \.type), ("scope", \.scope), ("entity", \.entity),
            ("keyspace", \.keyspace), ("table", \.table),
        ]

        /// The fields a caller may set on a new task: empty labels as none, and what the store decides at its defaults.
        var requested: Values {
            if self == Self.defaults { return self }
            var values = Values(locality: locality, isAbortable: isAbortable, isUserTask: isUserTask, targetWorker: targetWorker)
            for (_, field) in Self.labels { values[keyPath: field] = self[keyPath: field].flatMap { $0.isEmpty ? nil : $0 } }
            return values
        }

        public init(
            progressUnits: String? = nil,
            type: String? = nil,
            scope: String? = nil,
            entity: String? = nil,
            keyspace: String? = nil,
            table: String? = nil,
            locality: TaskLocality = .local,
            isAbortable: Bool = true,
            sequenceNumber: Int? = nil,
            isUserTask: Bool = false,
            targetWorker: String? = nil,
            hasChildren: Bool = false,
            isFolded: Bool = false
        ) {
            self.progressUnits = progressUnits
            self.type = type
            self.scope = scope
            self.entity = entity
            self.keyspace = keyspace
            self.table = table
            self.locality = locality
            self.isAbortable = isAbortable
            self.sequenceNumber = sequenceNumber
            self.isUserTask = isUserTask
            self.targetWorker = targetWorker
            self.hasChildren = hasChildren
            self.isFolded = isFolded
        }
    }

    private final class Storage: Sendable {
        let values: Values
        init(_ values: Values) { self.values = values }
    }

    /// `nil` while every field has its default.
    private var storage: Storage?

    public init(_ values: Values = Values()) {
        storage = values == .defaults ? nil : Storage(values)
    }

    /// The fields.
    public var values: Values {
        get { storage?.values ?? .defaults }
        set { storage = newValue == .defaults ? nil : Storage(newValue) }
    }

    /// Whether every field has its default.
    public var areDefaults: Bool { storage == nil }

    public static func == (left: TaskTreeFields, right: TaskTreeFields) -> Bool {
        left.storage === right.storage || left.values == right.values
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(values) }
}
