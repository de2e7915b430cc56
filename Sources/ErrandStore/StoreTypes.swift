public import ErrandCore
public import Foundation

/// The answer to one enqueued task.
public enum EnqueueResult: Sendable, Hashable {
    /// A new task was stored.
    case created(TaskRecord)
    /// An unfinished task in the same queue already had this idempotency key; nothing new was stored.
    case existing(TaskRecord)

    /// The stored task, new or existing.
    public var task: TaskRecord {
        switch self {
        case .created(let task), .existing(let task): task
        }
    }

    /// Whether a new task was stored.
    public var isNew: Bool {
        if case .created = self { return true }
        return false
    }
}

/// What a dispatcher asks for when it has free capacity.
public struct ClaimRequest: Sendable, Hashable {
    /// Queues to claim from; empty means every active queue.
    public var queues: [String]
    /// Only these handlers (empty means any); a worker that runs a fixed set of handlers claims only those.
    public var handlers: [String]
    /// Identity recorded in the lease.
    public var worker: String
    /// At most this many tasks.
    public var limit: Int
    public var now: Date
    /// The tags the claimer has (riaktq's instance features): only tasks whose requirements are among them are taken
    /// (``Requirement``). Empty: only tasks that require nothing.
    public var tags: [String]

    public init(queues: [String] = [], handlers: [String] = [], worker: String, limit: Int, now: Date, tags: [String] = []) {
        self.queues = queues
        self.handlers = handlers
        self.worker = worker
        self.limit = limit
        self.now = now
        self.tags = Requirement.normalized(tags)
    }
}

/// The answer to one finish (or rescue).
public enum FinishResult: Sendable, Hashable {
    /// The transition was applied; `task` is the stored record, `attempt` the launch-log line written.
    case applied(task: TaskRecord, attempt: Attempt?)
    /// The lease was no longer held (expired and rescued, cancelled, or claimed again); nothing changed.
    case refused(TransitionRefusal)
    /// No such task (deleted meanwhile).
    case notFound(TaskID)
}

/// Filters and a cursor for listing tasks.
public struct TaskQuery: Sendable, Hashable {
    public var queue: String?
    public var states: [TaskState]
    public var handler: String?
    public var parentID: TaskID?
    /// Only tasks of this module (a definition's launches have the definition's name).
    public var module: String?
    /// Only tasks with this tag among their ``TaskRecord/tags``.
    public var tag: String?
    /// Only tasks created at or after this time.
    public var createdAfter: Date?
    /// Only tasks created before this time.
    public var createdBefore: Date?
    /// Only tasks whose arguments' JSON text contains this text (case-sensitive, as stored).
    public var text: String?
    /// Only tasks with this idempotency key, finished ones too (a key is unique only among unfinished tasks of a
    /// queue, so give the queue as well to find one task).
    public var idempotencyKey: String?
    /// Only root tasks (no parent).
    public var rootsOnly: Bool
    /// Whether internal tasks (``TaskRecord/isInternal``) are listed.
    public var includeInternal: Bool
    /// Whether folded tasks (``TaskTreeFields/Values/isFolded``) are listed; listings leave them out unless asked, or unless
    /// they list one parent's children.
    public var includeFolded: Bool
    /// At most this many tasks per page.
    public var limit: Int
    /// The `nextCursor` of the previous page; `nil` for the first page.
    public var cursor: TaskID?
    /// Oldest first (ids ascending) instead of newest first; the cursor then moves towards newer tasks.
    public var oldestFirst: Bool
    /// The archived tasks (``Housekeeping/archive(finishedBefore:limit:)``) instead of the others.
    public var archived: Bool

    public init(
        queue: String? = nil,
        states: [TaskState] = [],
        handler: String? = nil,
        parentID: TaskID? = nil,
        module: String? = nil,
        tag: String? = nil,
        createdAfter: Date? = nil,
        createdBefore: Date? = nil,
        text: String? = nil,
        idempotencyKey: String? = nil,
        rootsOnly: Bool = false,
        includeInternal: Bool = true,
        includeFolded: Bool = false,
        limit: Int = 100,
        cursor: TaskID? = nil,
        oldestFirst: Bool = false,
        archived: Bool = false
    ) {
        self.queue = queue
        self.states = states
        self.handler = handler
        self.parentID = parentID
        self.module = module
        self.tag = tag
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.text = text
        self.idempotencyKey = idempotencyKey
        self.rootsOnly = rootsOnly
        self.includeInternal = includeInternal
        self.includeFolded = includeFolded
        self.limit = limit
        self.cursor = cursor
        self.oldestFirst = oldestFirst
        self.archived = archived
    }
}

/// One page of a task listing.
public struct TaskPage: Sendable, Hashable {
    public var tasks: [TaskRecord]
    /// Pass as `TaskQuery.cursor` to get the next page; `nil` on the last page.
    public var nextCursor: TaskID?

    public init(tasks: [TaskRecord], nextCursor: TaskID?) {
        self.tasks = tasks
        self.nextCursor = nextCursor
    }
}

/// Whether a queue's tasks may be enqueued and claimed.
public enum QueueState: String, Sendable, CaseIterable {
    case active
    case suspended
}

/// A queue as stored.
public struct QueueRecord: Sendable, Hashable {
    public var name: String
    public var state: QueueState
    public var createdAt: Date
    public var updatedAt: Date
    /// What each retry adds to the priority number of the queue's tasks (riaktq lowers a retried task's priority by
    /// 1): a task enqueued with a retry `priority_decrement` of 0 takes this one; 0, the default, lowers nothing.
    public var retryPriorityDecrement: Int

    public init(name: String, state: QueueState, createdAt: Date, updatedAt: Date, retryPriorityDecrement: Int = 0) {
        self.name = name
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.retryPriorityDecrement = retryPriorityDecrement
    }
}

/// Task counts of one queue, by state.
public struct QueueStatistics: Sendable, Hashable {
    public var queue: String
    public var counts: [TaskState: Int]

    public init(queue: String, counts: [TaskState: Int]) {
        self.queue = queue
        self.counts = counts
    }

    /// All tasks of the queue.
    public var total: Int { counts.values.reduce(0, +) }

    /// The count for one state (0 when absent).
    public subscript(state: TaskState) -> Int { counts[state] ?? 0 }
}

/// What ``TaskStore/enqueueSlot(_:schedule:slot:skipIfOutstanding:now:)`` did with a slot.
public enum SlotResult: Sendable, Hashable {
    /// The slot's launch was stored.
    case enqueued(TaskRecord)
    /// An earlier launch of the schedule is unfinished: the slot was passed over (and counts as done).
    case skippedOutstanding
    /// This slot, or a later one, was enqueued already (by this node or an earlier leader).
    case alreadyDone

    /// The stored launch, if any.
    public var task: TaskRecord? {
        if case .enqueued(let task) = self { return task }
        return nil
    }
}

extension NewTask {
    /// This task as a launch of schedule `name` (its `module`), validated: what
    /// ``TaskStore/enqueueSlot(_:schedule:slot:skipIfOutstanding:now:)`` stores.
    /// - Throws: ``StoreError`` `.invalid`.
    public func launch(ofSchedule name: String) throws -> NewTask {
        var launch = self
        launch.module = name
        do { try launch.validate() } catch { throw StoreError.invalid(error, index: nil) }
        return launch
    }
}

extension Finish {
    /// The records of this finish's follow-ups once it has been applied to `task`: children of `task` (same root),
    /// or with ``Finish/followUpsAreChildren`` false roots of their own, stored as
    /// ``TaskTransition/enqueue(_:id:now:)`` makes them. Follow-ups never carry an idempotency key, and one that
    /// fails validation is left out (runners validate them before they report).
    public func followUpRecords(of task: TaskRecord, now: Date) -> [TaskRecord] {
        followUps.compactMap { new -> TaskRecord? in
            var new = new
            new.parentID = followUpsAreChildren ? task.id : nil
            new.idempotencyKey = nil
            guard (try? new.validate()) != nil else { return nil }
            var record = TaskTransition.enqueue(new, id: TaskIDGenerator.shared.next(now: now), now: now)
            if followUpsAreChildren { record.joinTree(of: task) }
            return record
        }
    }

    /// How many children the finish adds to its task (what the task then awaits).
    public var childCount: Int { followUpsAreChildren ? followUps.count : 0 }
}

extension FinishResult {
    /// The stored task when the transition was applied.
    public var appliedTask: TaskRecord? {
        if case .applied(let task, _) = self { return task }
        return nil
    }
}

/// What one ``TaskStore/salvageWorkers(by:now:limit:)`` did.
public struct WorkerSalvage: Sendable, Hashable {
    /// Workers found with an expired heartbeat, now `lost`.
    public var lost: [WorkerRecord] = []
    /// Workers salvaged, now `salvaged`.
    public var salvaged: [WorkerRecord] = []
    /// The salvage of each task the salvaged workers held.
    public var tasks: [FinishResult] = []

    public init(lost: [WorkerRecord] = [], salvaged: [WorkerRecord] = [], tasks: [FinishResult] = []) {
        self.lost = lost
        self.salvaged = salvaged
        self.tasks = tasks
    }

    /// Why a broadcast part waiting for `worker` was cancelled when the worker was salvaged.
    public static func partReason(_ worker: WorkerRecord) -> String {
        "its worker \(worker.leaseName) was lost before running it"
    }

    /// Which of `workers` (running or lost) to mark lost, and which lost ones (after marking) to salvage at `now`.
    public static func plan(_ workers: [WorkerRecord], now: Date, limit: Int) -> (lose: [WorkerRecord], salvage: [WorkerRecord]) {
        let lose = workers.filter { $0.state == .running && $0.expiresAt <= now }
        let losing = Set(lose.map(\.id))
        let salvage = workers.filter { ($0.state == .lost || losing.contains($0.id)) && $0.salvageableAt <= now }
        return (
            lose.map {
                var worker = $0; worker.state = .lost; return worker
            }, Array(salvage.prefix(max(0, limit)))
        )
    }
}

/// A stored record that could not be read (pftaskqueue's dead letter): its raw columns and why.
public struct DeadLetter: Sendable, Hashable {
    /// This dead letter's own id (the task's id may be what is broken).
    public var id: String
    /// The queue the record was in, if that column could be read.
    public var queue: String?
    /// The record's columns as a JSON object, as stored.
    public var body: String
    /// Why it could not be read.
    public var error: String
    public var createdAt: Date

    public init(id: String, queue: String?, body: String, error: String, createdAt: Date) {
        self.id = id
        self.queue = queue
        self.body = body
        self.error = error
        self.createdAt = createdAt
    }

    /// Parses a (fixed) body into column values, refusing keys that are not among `columns`.
    /// - Throws: ``StoreError`` `.invalid`.
    public static func columns(of body: String, allowed columns: [String]) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] else {
            throw StoreError(.invalid, "a dead letter's body must be a JSON object of task columns")
        }
        if let unknown = object.keys.sorted().first(where: { !columns.contains($0) }) {
            throw StoreError(.invalid, "\(unknown) is not a task column; columns: \(columns.joined(separator: ", "))")
        }
        return object
    }
}

/// Names of the settings stores keep for every node (``SettingStore/setting(_:)``).
public enum StoreSetting {
    /// Seconds a finished root task (and its tree) is kept when code started it; ScyllaDB's `task_ttl`.
    public static let taskTTL = "task_ttl"
    /// Seconds a finished root task (and its tree) is kept when a user started it; ScyllaDB's `user_task_ttl`.
    public static let userTaskTTL = "user_task_ttl"
}
