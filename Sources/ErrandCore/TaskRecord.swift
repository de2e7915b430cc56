public import Foundation

/// One task and everything Errand knows about it: what to run, its state, its lease and its last result.
///
/// Its tree fields (``TaskTreeFields/Values``) read and set as its own members: `task.type`, `task.hasChildren`.
@dynamicMemberLookup
public struct TaskRecord: Sendable, Hashable {
    /// Sortable unique id.
    public var id: TaskID
    /// Name of the queue the task belongs to.
    public var queue: String
    /// Name of what runs it: a registered handler such as `errand.echo` or `billing.send_invoice`.
    public var handler: String
    /// The handler's arguments as JSON text, kept exactly as given.
    public var arguments: String
    /// 0 (most urgent, claimed first) to 9.
    public var priority: Int
    /// Earliest time a worker may claim the task.
    public var runAt: Date
    /// Where the task is in its life.
    public var state: TaskState
    /// Number of the current or latest attempt; 0 before the first claim. Never decreases, so together with the
    /// worker it identifies a lease.
    public var attempt: Int
    /// Attempts that count against `retry.maxAttempts` (a shutdown or an unclaim gives its attempt back).
    public var chargedAttempts: Int
    /// How often and how soon a failed task runs again.
    public var retry: RetryPolicy
    /// Seconds a worker may hold the task without a heartbeat before it counts as lost (the lease length).
    public var timeToResolve: Double
    /// Caller-chosen key: while an unfinished task in the same queue has it, enqueueing it again returns that task.
    public var idempotencyKey: String?
    /// The task that spawned this one, if any.
    public var parentID: TaskID?
    /// The root of this task's tree; `nil` for a root task.
    public var rootID: TaskID?
    /// Grouping of related task trees.
    public var module: String?
    /// Whether the task is an internal part of a bigger operation (a sub-task a handler spawned, or scheduler
    /// bookkeeping) rather than work someone asked for: module listings leave it out unless asked, and a finished
    /// tree folds it (``TaskTree``).
    public var isInternal: Bool
    /// Free-form labels for filtering.
    public var tags: [String]
    /// When the task was enqueued.
    public var createdAt: Date
    /// When the latest attempt started.
    public var startedAt: Date?
    /// When the task reached a final state.
    public var finishedAt: Date?
    /// The handler's result payload (JSON text) of the successful attempt.
    public var result: String?
    /// The latest attempt's human-readable message.
    public var message: String?
    /// The error message of the latest failed attempt.
    public var lastError: String?
    /// The worker holding the lease while the task runs.
    public var worker: String?
    /// When the current lease runs out unless the worker heartbeats.
    public var leaseExpiresAt: Date?
    /// A display name (pftaskqueue's `name`), never used to identify the task.
    public var name: String?
    /// Seconds an attempt may run before it is stopped with the outcome `timeout`; `nil` leaves it to the worker.
    public var timeout: Double?
    /// The JSON object attached to the task (see ``NewTask/meta``), or `nil`.
    public var meta: String?
    /// Whether `timeToResolve` bounds each attempt: heartbeats do not extend the lease (see ``NewTask/fixedLease``).
    public var fixedLease: Bool
    /// The tags a worker must have to claim it, sorted (see ``NewTask/requires``).
    public var requires: [String]
    /// The work done so far, as its worker last reported it with a heartbeat (units of the worker's choosing).
    public var progressCompleted: Double?
    /// The work there is in all, when the worker knows it.
    public var progressTotal: Double?
    /// The tree fields (labels, locality, abortable, …), one reference however many there are: nil for a plain
    /// task. Read and set them as the record's own members.
    public var treeFields: TaskTreeFields

    /// A tree field, as if it were the record's own (`task.type`, `task.isAbortable = false`).
    public subscript<Value>(dynamicMember field: WritableKeyPath<TaskTreeFields.Values, Value>) -> Value {
        get { treeFields.values[keyPath: field] }
        set { treeFields.values[keyPath: field] = newValue }
    }

    public init(
        id: TaskID,
        queue: String,
        handler: String,
        arguments: String,
        priority: Int,
        runAt: Date,
        state: TaskState,
        attempt: Int = 0,
        chargedAttempts: Int = 0,
        retry: RetryPolicy,
        timeToResolve: Double,
        idempotencyKey: String? = nil,
        parentID: TaskID? = nil,
        rootID: TaskID? = nil,
        module: String? = nil,
        isInternal: Bool = false,
        tags: [String] = [],
        createdAt: Date,
        startedAt: Date? = nil,
        finishedAt: Date? = nil,
        result: String? = nil,
        message: String? = nil,
        lastError: String? = nil,
        worker: String? = nil,
        leaseExpiresAt: Date? = nil,
        name: String? = nil,
        timeout: Double? = nil,
        meta: String? = nil,
        fixedLease: Bool = false,
        requires: [String] = [],
        progressCompleted: Double? = nil,
        progressTotal: Double? = nil,
        tree: TaskTreeFields.Values = TaskTreeFields.Values()
    ) {
        self.progressCompleted = progressCompleted
        self.progressTotal = progressTotal
        self.treeFields = TaskTreeFields(tree)
        self.id = id
        self.queue = queue
        self.handler = handler
        self.arguments = arguments
        self.priority = priority
        self.runAt = runAt
        self.state = state
        self.attempt = attempt
        self.chargedAttempts = chargedAttempts
        self.retry = retry
        self.timeToResolve = timeToResolve
        self.idempotencyKey = idempotencyKey
        self.parentID = parentID
        self.rootID = rootID
        self.module = module
        self.isInternal = isInternal
        self.tags = tags
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.result = result
        self.message = message
        self.lastError = lastError
        self.worker = worker
        self.leaseExpiresAt = leaseExpiresAt
        self.name = name
        self.timeout = timeout
        self.meta = meta
        self.fixedLease = fixedLease
        self.requires = requires
    }

    /// Whether the task's own attempt succeeded and it now waits for its children to finish: `running` without a
    /// lease. It ends when its last child does (see ``TaskTree``).
    public var isAwaitingChildren: Bool { state == .running && worker == nil }

    /// The lease the current worker holds, if the task is running.
    public var lease: Lease? {
        guard state == .running, let worker else { return nil }
        return Lease(taskID: id, attempt: attempt, worker: worker)
    }
}

/// Proof that a worker holds a running task: the task, the attempt it was claimed for, and the worker.
///
/// A finish, heartbeat or unclaim is applied only while the task's current lease equals this one, so a worker
/// whose lease expired (and whose task was claimed again) cannot overwrite the newer attempt.
public struct Lease: Sendable, Hashable {
    public var taskID: TaskID
    public var attempt: Int
    public var worker: String

    public init(taskID: TaskID, attempt: Int, worker: String) {
        self.taskID = taskID
        self.attempt = attempt
        self.worker = worker
    }
}

/// One execution of a task by one worker: a line of the launch log.
public struct Attempt: Sendable, Hashable {
    public var taskID: TaskID
    /// 1 for the first attempt.
    public var number: Int
    /// Handler name, copied so the launch log can be capped per handler.
    public var handler: String
    public var worker: String
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: AttemptOutcome
    public var message: String?
    /// The JSON text the worker ended the attempt with: the task's result on success, the failure's details
    /// otherwise (when the worker sent any).
    public var result: String?
    /// The worker (or leader) that salvaged this attempt after its worker was lost.
    public var salvagedBy: String?
    /// When it was salvaged.
    public var salvagedAt: Date?

    public init(
        taskID: TaskID,
        number: Int,
        handler: String,
        worker: String,
        startedAt: Date,
        finishedAt: Date,
        outcome: AttemptOutcome,
        message: String? = nil,
        result: String? = nil,
        salvagedBy: String? = nil,
        salvagedAt: Date? = nil
    ) {
        self.taskID = taskID
        self.number = number
        self.handler = handler
        self.worker = worker
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.message = message
        self.result = result
        self.salvagedBy = salvagedBy
        self.salvagedAt = salvagedAt
    }
}
