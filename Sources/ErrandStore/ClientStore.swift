public import ErrandCore
public import Foundation

/// Tasks: enqueue, read, cancel and retry them, their trees and modules.
public protocol TaskRecords: Sendable {
    /// Stores new tasks in one transaction.
    ///
    /// A task whose idempotency key is already used by an unfinished task in the same queue is not stored; its
    /// result is `.existing` with that task. Within one batch, a repeated key resolves to the first task.
    /// - Parameter intoSuspendedQueues: store tasks in suspended queues too (pftaskqueue's `add-task`: a queue is
    ///   filled while suspended, then resumed); by default a suspended queue takes no tasks.
    /// - Throws: ``StoreError`` `.unknownQueue` or `.queueSuspended` (nothing of the batch is stored),
    ///   `.invalid` when a task fails validation.
    func enqueue(_ tasks: [NewTask], now: Date, intoSuspendedQueues: Bool) async throws -> [EnqueueResult]

    /// The task with this id, or `nil`.
    func task(_ id: TaskID) async throws -> TaskRecord?

    /// The launch log of one task, oldest attempt first.
    func attempts(of id: TaskID) async throws -> [Attempt]

    /// One page of tasks matching `query`, newest first (by id), with a cursor for the next page.
    func list(_ query: TaskQuery) async throws -> TaskPage

    /// How many tasks match `query` (its cursor and limit aside), counting no further than `limit + 1`: an answer
    /// above `limit` means "more than `limit`", so that a table of millions is never counted in full.
    func count(_ query: TaskQuery, upTo limit: Int) async throws -> Int

    /// Deletes a finished root task with its whole tree and their attempts, at once (what TTL pruning does when the
    /// time comes); answers the number of tasks deleted. The change is not an event: a task that is gone has no state.
    /// - Throws: ``StoreError`` `.notFound`; `.refused` (``StoreError/notDeletable(_:)``) for an unfinished task, a
    ///   child (its tree is deleted from its root), or a root with unfinished descendants.
    func delete(_ id: TaskID) async throws -> Int

    /// Number of tasks in each state, per queue.
    func statistics() async throws -> [QueueStatistics]

    /// The tasks that reached a final state in each of the last `minutes` minutes (1 to
    /// ``FinishedMinute/maximumMinutes``), oldest first, the last being the minute `now` falls in: one entry per
    /// minute, empty ones included. Counted from the stored tasks' `finished_at`, so tasks already pruned or retried
    /// since are not counted.
    func finishedPerMinute(minutes: Int, now: Date) async throws -> [FinishedMinute]

    /// Cancels (aborts) an unfinished task and, in the same transaction, its unfinished descendants, except those
    /// that are not abortable (and their own descendants). A running task's worker learns of it at its next heartbeat.
    /// - Returns: the task as cancelled.
    /// - Throws: ``StoreError`` `.notFound`, `.notAbortable` when the task is not abortable, or `.refused` when it is
    ///   already finished.
    func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord

    /// Runs a finished task once more (one more attempt than it has used).
    /// - Throws: ``StoreError`` `.notFound`, or `.refused` when the task is not finished.
    func retry(_ id: TaskID, now: Date) async throws -> TaskRecord

    /// Every task of the tree `id` belongs to: its root and all the root's descendants, folded ones included, in id
    /// order. Reading never changes or removes a task.
    /// - Throws: ``StoreError`` `.notFound`.
    func tree(of id: TaskID) async throws -> [TaskRecord]

    /// The modules that have had tasks, by name: a module stays known once a root task of it was stored, after its
    /// tasks are drained or pruned too (ScyllaDB's modules are registered, not derived from their tasks).
    func modules() async throws -> [String]

    /// Deletes the finished `local` trees of `module`: each root (and its descendants) that is finished with every
    /// descendant finished too.
    /// - Returns: the number of tasks deleted.
    func drainModule(_ module: String) async throws -> Int

    /// The task once it reaches a final state, read at `time`'s pace (a remote store waits on its server instead).
    /// - Throws: ``WaitTimeout`` when `timeout` seconds pass first; ``StoreError`` `.notFound` for an unknown id.
    func wait(for id: TaskID, timeout: Double, time: any TimeSource) async throws -> TaskRecord
}

extension TaskRecords {
    /// Stores new tasks in one transaction, in active queues only (``enqueue(_:now:intoSuspendedQueues:)``).
    public func enqueue(_ tasks: [NewTask], now: Date) async throws -> [EnqueueResult] {
        try await enqueue(tasks, now: now, intoSuspendedQueues: false)
    }
}

/// Leases: claim tasks and end, extend or hand back their attempts while the lease is held.
public protocol TaskLeases: Sendable {
    /// Leases up to `request.limit` due tasks from active queues, in order of priority, `run_at`, then id.
    func claim(_ request: ClaimRequest) async throws -> [TaskRecord]

    /// Extends the leases that are still held by `time_to_resolve` from `now`.
    /// - Returns: the leases that were extended; a lease missing from the answer is no longer held.
    func heartbeat(_ leases: [Lease], now: Date) async throws -> [Lease]

    /// Records a running attempt's progress and extends its lease, as a heartbeat does, while `lease` is held.
    /// - Returns: whether the lease was held (and the progress recorded).
    func reportProgress(_ lease: Lease, completed: Double, total: Double?, now: Date) async throws -> Bool

    /// Ends a batch of attempts in one transaction. Each is applied only if its lease is still held.
    /// - Returns: one result per finish, in order.
    func finish(_ finishes: [Finish], now: Date) async throws -> [FinishResult]

    /// Hands a running task back to `pending` without using an attempt.
    /// - Throws: ``StoreError`` `.notFound`, or `.refused` when the lease is not held.
    func unclaim(_ lease: Lease, now: Date) async throws -> TaskRecord
}

/// Queues: create, list, suspend, resume and delete them.
public protocol QueueStore: Sendable {
    /// Creates a queue in the `active` state, whose tasks' retries add `retryPriorityDecrement` to their priority
    /// number unless a task sets its own (``QueueRecord/retryPriorityDecrement``).
    /// - Throws: ``StoreError`` `.alreadyExists` or `.invalid` (bad name, negative decrement).
    func createQueue(_ name: String, retryPriorityDecrement: Int, now: Date) async throws -> QueueRecord

    /// All queues, by name.
    func queues() async throws -> [QueueRecord]

    /// Suspends (no claims, no enqueues) or resumes a queue.
    /// - Throws: ``StoreError`` `.unknownQueue`.
    func setQueueState(_ name: String, to state: QueueState, now: Date) async throws -> QueueRecord

    /// Deletes a queue and all of its tasks and their attempts.
    /// - Returns: the number of tasks deleted.
    /// - Throws: ``StoreError`` `.unknownQueue`.
    func deleteQueue(_ name: String) async throws -> Int
}

extension QueueStore {
    /// Creates a queue in the `active` state whose retries lower no priority.
    public func createQueue(_ name: String, now: Date) async throws -> QueueRecord {
        try await createQueue(name, retryPriorityDecrement: 0, now: now)
    }
}

/// Turns task definitions on and off for the whole cluster.
public protocol DefinitionSwitches: Sendable {
    /// Turns a task definition on or off for the whole cluster: the scheduler launches no slot or instance of a
    /// disabled definition. Definitions are enabled until disabled.
    func setDefinitionEnabled(_ name: String, _ enabled: Bool, now: Date) async throws

    /// The names of the definitions disabled with ``setDefinitionEnabled(_:_:now:)``.
    func disabledDefinitions() async throws -> Set<String>
}

/// Records that could not be read, and putting them back.
public protocol DeadLetterStore: Sendable {
    /// Records that could not be read, newest first: moved out of the way (with their raw columns and the error)
    /// when a claim met them, instead of failing every claim.
    func deadLetters(limit: Int) async throws -> [DeadLetter]

    /// Puts a dead letter back as a task: `body` (JSON of the task's columns, as ``DeadLetter/body`` gives them,
    /// fixed) or, when `nil`, the stored body. The dead letter is removed only if the task can now be read.
    /// - Throws: ``StoreError`` `.notFound` (no such dead letter), `.invalid` (the body is not a JSON object of task
    ///   columns, or the task still cannot be read), `.alreadyExists` (a task with its id exists).
    func redrive(_ id: String, body: String?, now: Date) async throws -> TaskRecord
}

/// What the cluster looks like: its workers and its leader.
public protocol ClusterView: Sendable {
    /// The workers in `states` (all when empty), newest first.
    func workers(states: [WorkerState]) async throws -> [WorkerRecord]

    /// How many running tasks each worker holds the lease of, by the name its leases carry (``WorkerRecord/leaseName``,
    /// or a remote worker's name): registered or not, every holder is listed.
    func tasksHeld() async throws -> [String: Int]

    /// The node holding an unexpired leader lease at `now`, or `nil`.
    func leader(now: Date) async throws -> String?

    /// Every task's status in Tarantool's vocabulary (``LaunchStatus``), in total and per definition (the launches,
    /// root tasks with the definition's name as their module): a waiting task that no worker alive at `now` takes
    /// (its queue and handler) counts as unknown task.
    func taskStatuses(now: Date) async throws -> TaskStatuses
}
