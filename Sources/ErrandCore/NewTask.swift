public import Foundation

/// What a caller asks to run: everything about a task that exists before it is stored.
@dynamicMemberLookup
public struct NewTask: Sendable, Hashable {
    public var handler: String
    /// JSON text; `{}` when the handler takes nothing.
    public var arguments: String
    public var queue: String
    public var priority: Int
    /// Earliest start; `nil` means now.
    public var runAt: Date?
    public var retry: RetryPolicy
    /// Lease length in seconds (Tarantool's `time_to_resolve`).
    public var timeToResolve: Double
    public var idempotencyKey: String?
    public var parentID: TaskID?
    public var module: String?
    public var isInternal: Bool
    public var tags: [String]
    /// A display name (pftaskqueue's `name`): shown in listings, never used to identify the task.
    public var name: String?
    /// Seconds an attempt may run before it is stopped with the outcome `timeout`; `nil` leaves it to the worker
    /// (an `errand worker -- CMD` applies its default timeout; in-process handlers run until they finish).
    public var timeout: Double?
    /// A JSON object the caller attaches (River's `metadata`, Oban's `meta`), kept as given and returned with the task;
    /// a worker holding the lease may replace it (``TaskLeases/report(_:meta:now:)``). `nil` when there is none.
    public var meta: String?
    /// Whether `timeToResolve` bounds each attempt (Tarantool's `time_to_resolve`, which a definition's launches
    /// have): heartbeats do not extend the lease, and an attempt still running when it ends is stopped and ends
    /// `lost`. `false` (Errand's rule): a worker's heartbeats keep the lease as long as the handler runs.
    public var fixedLease: Bool
    /// The tags a worker must have to run it (riaktq's tags: "features of the instance required for the task
    /// execution", such as `gpu`): only a claim declaring all of them takes it. Empty: any worker. Stored sorted.
    public var requires: [String]
    /// Its tree fields (labels such as `type` and `scope`, locality, abortable, user task, target worker), read and
    /// set as its own members: `task.type = "repair"`. The store sets the others (sequence number, children,
    /// folding), whatever they say here. Over HTTP, the CLI and the dashboard, `isUserTask` is set; code leaves it
    /// `false`.
    public var tree: TaskTreeFields.Values

    /// A tree field, as if it were the request's own.
    public subscript<Value>(dynamicMember field: WritableKeyPath<TaskTreeFields.Values, Value>) -> Value {
        get { tree[keyPath: field] }
        set { tree[keyPath: field] = newValue }
    }

    /// Lease length of a task that names none (Tarantool's `task_ttr`).
    public static let defaultTimeToResolve: Double = 60
    /// Largest accepted `arguments` text, in UTF-8 bytes (1 MiB), in every store.
    public static let maxArgumentsBytes = 1 << 20
    /// Longest accepted display name, in characters (pftaskqueue's limit).
    public static let maxNameLength = 1024
    /// Longest accepted `type`, `scope`, `entity`, `keyspace`, `table` or `progress_units`, in characters.
    public static let maxLabelLength = 256

    public init(
        handler: String,
        arguments: String = "{}",
        queue: String = QueueName.default,
        priority: Int = Priority.default,
        runAt: Date? = nil,
        retry: RetryPolicy = .default,
        timeToResolve: Double = NewTask.defaultTimeToResolve,
        idempotencyKey: String? = nil,
        parentID: TaskID? = nil,
        module: String? = nil,
        isInternal: Bool = false,
        tags: [String] = [],
        name: String? = nil,
        timeout: Double? = nil,
        meta: String? = nil,
        fixedLease: Bool = false,
        requires: [String] = [],
        progressUnits: String? = nil,
        type: String? = nil,
        scope: String? = nil,
        entity: String? = nil,
        keyspace: String? = nil,
        table: String? = nil,
        locality: TaskLocality = .local,
        isAbortable: Bool = true,
        isUserTask: Bool = false,
        targetWorker: String? = nil
    ) {
        self.handler = handler
        self.arguments = arguments
        self.queue = queue
        self.priority = priority
        self.runAt = runAt
        self.retry = retry
        self.timeToResolve = timeToResolve
        self.idempotencyKey = idempotencyKey
        self.parentID = parentID
        self.module = module
        self.isInternal = isInternal
        self.tags = tags
        self.name = name
        self.timeout = timeout
        self.meta = meta
        self.fixedLease = fixedLease
        self.requires = requires
        self.tree = TaskTreeFields.Values(
            progressUnits: progressUnits,
            type: type,
            scope: scope,
            entity: entity,
            keyspace: keyspace,
            table: table,
            locality: locality,
            isAbortable: isAbortable,
            isUserTask: isUserTask,
            targetWorker: targetWorker
        )
    }

    /// Refuses a request that cannot be stored or run, naming the offending field.
    /// - Throws: ``InvalidField`` for the first rule broken.
    public func validate() throws(InvalidField) {
        if let problem = HandlerName.problem(handler) { throw InvalidField(field: "handler", reason: problem) }
        if let problem = QueueName.problem(queue) { throw InvalidField(field: "queue", reason: problem) }
        guard Priority.range.contains(priority) else {
            throw InvalidField(
                field: "priority",
                reason: "must be between \(Priority.range.lowerBound) and \(Priority.range.upperBound), got \(priority)"
            )
        }
        guard arguments.utf8.count <= NewTask.maxArgumentsBytes else {
            throw InvalidField(
                field: "arguments",
                reason: "is \(arguments.utf8.count) bytes; the limit is \(NewTask.maxArgumentsBytes)"
            )
        }
        if let problem = JSONText.problem(arguments) { throw InvalidField(field: "arguments", reason: problem) }
        try InvalidField.seconds(timeToResolve, "time_to_resolve")
        if let name, name.count > NewTask.maxNameLength {
            throw InvalidField(field: "name", reason: "is \(name.count) characters; the limit is \(NewTask.maxNameLength)")
        }
        if let timeout { try InvalidField.seconds(timeout, "timeout") }
        if let meta { try NewTask.validateMeta(meta) }
        if let problem = Requirement.problem(requires) { throw InvalidField(field: "requires", reason: problem) }
        // Counted in Unicode code points, as JSON Schema's maxLength counts them (the API's document says 255).
        if let key = idempotencyKey, key.isEmpty || key.unicodeScalars.count > 255 {
            throw InvalidField(field: "idempotency_key", reason: "must be 1 to 255 characters long, got \(key.unicodeScalars.count)")
        }
        do { try retry.validate() } catch { throw error.nested(under: "retry") }
        if let targetWorker = tree.targetWorker, targetWorker.count > 200 {
            throw InvalidField(field: "target_worker", reason: "is \(targetWorker.count) characters; the limit is 200")
        }
        for (field, label) in TaskTreeFields.Values.labels {
            if let value = tree[keyPath: label], value.count > NewTask.maxLabelLength {
                throw InvalidField(field: field, reason: "is \(value.count) characters; the limit is \(NewTask.maxLabelLength)")
            }
        }
    }
}

extension NewTask {
    /// Refuses `meta` text that is not one JSON object of at most ``maxArgumentsBytes`` UTF-8 bytes.
    public static func validateMeta(_ meta: String) throws(InvalidField) {
        guard meta.utf8.count <= NewTask.maxArgumentsBytes else {
            throw InvalidField(field: "meta", reason: "is \(meta.utf8.count) bytes; the limit is \(NewTask.maxArgumentsBytes)")
        }
        if let problem = JSONText.problem(meta) { throw InvalidField(field: "meta", reason: problem) }
        guard meta.drop(while: \.isWhitespace).first == "{" else {
            throw InvalidField(field: "meta", reason: "must be a JSON object, got \(meta.prefix(40))")
        }
    }
}

/// Task priorities: a lower number is claimed first.
public enum Priority {
    /// The accepted priorities: 0 (most urgent) through 9.
    public static let range = 0...9
    /// The priority of a task that names none: 0, as in Oban and River (most urgent; lower urgency is opt-in).
    public static let `default` = 0
    /// The least urgent priority.
    public static let lowest = 9
}

/// Rules for queue names.
public enum QueueName {
    /// The queue every store has from the start; tasks that name no queue go here.
    public static let `default` = "default"

    /// Why `name` is not a valid queue name, or `nil` when it is.
    public static func problem(_ name: String) -> String? {
        identifierProblem(name, what: "queue name", allowed: allowed)
    }

    private static let allowed = IdentifierCharacters(extra: "-_.")
}

/// Rules for handler names such as `errand.echo` or `my_module.cache_reload`.
public enum HandlerName {
    /// Why `name` is not a valid handler name, or `nil` when it is.
    public static func problem(_ name: String) -> String? {
        identifierProblem(name, what: "handler name", allowed: allowed)
    }

    private static let allowed = IdentifierCharacters(extra: "-_.:")
}

/// ASCII letters, digits and a few punctuation characters, checked byte by byte (names are checked on every enqueue).
private struct IdentifierCharacters: Sendable {
    let extra: String
    let bytes: Set<UInt8>

    init(extra: String) {
        self.extra = extra
        bytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\(extra)".utf8)
    }
}

private func identifierProblem(_ name: String, what: String, allowed: IdentifierCharacters) -> String? {
    if name.isEmpty { return "\(what) must not be empty" }
    if name.utf8.count > 128 { return "\(what) must be at most 128 bytes, got \(name.utf8.count)" }
    if name.utf8.allSatisfy(allowed.bytes.contains) { return nil }
    let bad = name.first { character in !character.utf8.allSatisfy(allowed.bytes.contains) } ?? "?"
    return "\(what) \"\(name)\" contains \"\(bad)\"; use letters, digits and \(allowed.extra.map { "\"\($0)\"" }.joined(separator: " "))"
}

/// Checks that text is one JSON value.
public enum JSONText {
    /// Why `text` is not valid JSON, or `nil` when it is. The same rule (``JSONSyntax``) that stores apply when they
    /// read a task's arguments back, so nothing accepted here is found corrupt later.
    public static func problem(_ text: String) -> String? {
        if JSONSyntax.isValid(text) { return nil }
        var detail: String?
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        }
        return "is not valid JSON" + (detail.map { " (\($0))" } ?? "") + ": \(text.prefix(80))"
    }
}
