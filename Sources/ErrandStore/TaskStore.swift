import ErrandCore
import Foundation

/// Persists tasks, queues and the launch log. The one plug-in point for storage.
///
/// Every method is atomic and takes `now` from the caller; no method reads a clock. State changes are decided by
/// ``TaskTransition`` in ErrandCore; a store only applies them, and applies a lease holder's change only while the
/// lease still matches. Conformance is checked by `StoreCheck.all` in ErrandTesting.
public protocol TaskStore: Sendable {
    /// Stores new tasks in one transaction.
    ///
    /// A task whose idempotency key is already used by an unfinished task in the same queue is not stored; its
    /// result is `.existing` with that task. Within one batch, a repeated key resolves to the first task.
    /// - Throws: ``StoreError`` `.unknownQueue` or `.queueSuspended` (nothing of the batch is stored),
    ///   `.invalid` when a task fails validation.
    func enqueue(_ tasks: [NewTask], now: Date) async throws -> [EnqueueResult]

    /// Enqueues `task` as the launch of schedule `name` for `slot`, unless this slot or a later one was enqueued
    /// already: the schedule's mark (its last slot) moves forward in the same transaction as the insert, so a slot is
    /// enqueued at most once, whichever node leads. With `skipIfOutstanding`, a slot that finds an unfinished task
    /// of the schedule (same `module`) is passed over, and the mark still moves.
    /// - Throws: as ``enqueue(_:now:)``.
    func enqueueSlot(_ task: NewTask, schedule name: String, slot: Date, skipIfOutstanding: Bool, now: Date) async throws -> SlotResult

    /// Counts the tasks of each module (the launches of each definition) in Tarantool's vocabulary, sorted by
    /// module; tasks without a module are not counted.
    func launchStatistics() async throws -> [LaunchStatistics]

    /// The last slot enqueued (or passed over) for schedule `name`, or `nil` when there was none.
    func scheduleMark(_ name: String) async throws -> Date?

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

    /// Cancels (aborts) an unfinished task and, in the same transaction, its unfinished descendants, except those
    /// that are not abortable (and their own descendants). A running task's worker learns of it at its next heartbeat.
    /// - Returns: the task as cancelled.
    /// - Throws: ``StoreError`` `.notFound`, `.notAbortable` when the task is not abortable, or `.refused` when it is
    ///   already finished.
    func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord

    /// Every task of the tree `id` belongs to: its root and all the root's descendants, folded ones included, in id
    /// order. Reading never changes or removes a task.
    /// - Throws: ``StoreError`` `.notFound`.
    func tree(of id: TaskID) async throws -> [TaskRecord]

    /// The modules that have tasks, by name.
    func modules() async throws -> [String]

    /// Deletes the finished `local` trees of `module`: each root (and its descendants) that is finished with every
    /// descendant finished too.
    /// - Returns: the number of tasks deleted.
    func drainModule(_ module: String) async throws -> Int

    /// A setting shared by every node (such as ``StoreSetting/taskTTL``), or `nil` when it was never set.
    func setting(_ name: String) async throws -> String?

    /// Sets (or, with `nil`, clears) a setting shared by every node.
    func setSetting(_ name: String, to value: String?, now: Date) async throws

    /// Runs a finished task once more (one more attempt than it has used).
    /// - Throws: ``StoreError`` `.notFound`, or `.refused` when the task is not finished.
    func retry(_ id: TaskID, now: Date) async throws -> TaskRecord

    /// The task with this id, or `nil`.
    func task(_ id: TaskID) async throws -> TaskRecord?

    /// The launch log of one task, oldest attempt first.
    func attempts(of id: TaskID) async throws -> [Attempt]

    /// One page of tasks matching `query`, newest first (by id), with a cursor for the next page.
    func list(_ query: TaskQuery) async throws -> TaskPage

    /// Number of tasks in each state, per queue.
    func statistics() async throws -> [QueueStatistics]

    /// Creates a queue in the `active` state.
    /// - Throws: ``StoreError`` `.alreadyExists` or `.invalid` (bad name).
    func createQueue(_ name: String, now: Date) async throws -> QueueRecord

    /// All queues, by name.
    func queues() async throws -> [QueueRecord]

    /// Suspends (no claims, no enqueues) or resumes a queue.
    /// - Throws: ``StoreError`` `.unknownQueue`.
    func setQueueState(_ name: String, to state: QueueState, now: Date) async throws -> QueueRecord

    /// Deletes a queue and all of its tasks and their attempts.
    /// - Returns: the number of tasks deleted.
    /// - Throws: ``StoreError`` `.unknownQueue`.
    func deleteQueue(_ name: String) async throws -> Int

    /// Ends the attempts of up to `limit` running tasks whose lease expired before `now` as `lost`; each is retried
    /// or failed by its policy.
    func rescueExpiredLeases(now: Date, limit: Int) async throws -> [FinishResult]

    /// Keeps only the newest `maxPerHandler` attempts of each handler in the launch log.
    /// - Returns: the number of attempt records deleted.
    func trimAttemptLog(maxPerHandler: Int) async throws -> Int

    /// Caps the launches kept per module (per task definition): deletes each module's finished root tasks (with
    /// their trees and attempts) past the newest `maxPerModule`. Unfinished tasks are never deleted.
    /// - Returns: the number of tasks deleted.
    func trimLaunches(maxPerModule: Int) async throws -> Int

    /// Deletes up to `limit` finished trees (each root with its descendants and their attempts): those whose root
    /// finished before `finishedBefore` (before `userTasksFinishedBefore` when a user started it) and whose
    /// descendants are all finished. A task that is not a root is never deleted on its own.
    /// - Returns: the number of tasks deleted.
    func prune(finishedBefore: Date, userTasksFinishedBefore: Date, limit: Int) async throws -> Int

    /// When a waiting task in active queues (all queues when `queues` is empty) of `handlers` (all when empty) is
    /// next due, or `nil` when none waits: the earliest `run_at` among scheduled tasks, or, when a pending task waits,
    /// the `run_at` of the first pending task in claim order (already due, so not after now). A store need not find
    /// the earliest among pending tasks.
    func nextRunAt(queues: [String], handlers: [String]) async throws -> Date?

    /// The earliest lease expiry among running tasks, or `nil`.
    func nextLeaseExpiry() async throws -> Date?

    /// Takes the leader lease for `node`, or renews it if `node` holds it, until `now + ttl`.
    ///
    /// At most one node holds the lease at a time: another node can take it only once it has expired (or was
    /// released). Nodes compare `now` values, so their clocks must agree to well within `ttl` (NTP).
    /// - Returns: whether `node` holds the lease after the call.
    func acquireLeadership(_ node: String, ttl: Double, now: Date) async throws -> Bool

    /// Gives up the leader lease if `node` holds it, so another node can take it at once.
    func releaseLeadership(_ node: String) async throws

    /// The node holding an unexpired leader lease at `now`, or `nil`.
    func leader(now: Date) async throws -> String?

    /// Records a worker that starts (`running`, its first heartbeat now).
    func registerWorker(_ worker: WorkerRecord) async throws

    /// Records a heartbeat of a running (or lost, not yet salvaged) worker, which is then `running` again.
    /// - Returns: the stored record: one whose state is not `running` afterwards (salvaged, ended) no longer holds its
    ///   tasks, and its node registers again under a new id;
    ///   `nil` when no worker has this id.
    func workerHeartbeat(_ id: String, now: Date) async throws -> WorkerRecord?

    /// Records that a worker stopped (`succeeded` or `failed`); a salvaged worker stays salvaged.
    func endWorker(_ id: String, as state: WorkerState, now: Date) async throws

    /// The workers in `states` (all when empty), newest first.
    func workers(states: [WorkerState]) async throws -> [WorkerRecord]

    /// Marks running workers whose heartbeat expired as `lost`, then salvages up to `limit` lost workers whose
    /// salvage time has come: each becomes `salvaged` (by `salvager`), and each task it still held ends its attempt
    /// `lost` at once (``TaskEvent/salvage(by:)``) and runs again by its retry policy. Tasks only it could claim
    /// (``TaskRecord/targetWorker``, a broadcast's parts) that it never started are cancelled.
    func salvageWorkers(by salvager: String, now: Date, limit: Int) async throws -> WorkerSalvage

    /// Deletes workers that stopped (succeeded, failed, salvaged) before `endedBefore`.
    /// - Returns: the number deleted.
    func pruneWorkers(endedBefore: Date) async throws -> Int

    /// Records that could not be read, newest first: moved out of the way (with their raw columns and the error)
    /// when a claim met them, instead of failing every claim.
    func deadLetters(limit: Int) async throws -> [DeadLetter]

    /// Puts a dead letter back as a task: `body` (JSON of the task's columns, as ``DeadLetter/body`` gives them,
    /// fixed) or, when `nil`, the stored body. The dead letter is removed only if the task can now be read.
    /// - Throws: ``StoreError`` `.notFound` (no such dead letter), `.invalid` (the body is not a JSON object of task
    ///   columns, or the task still cannot be read), `.alreadyExists` (a task with its id exists).
    func redrive(_ id: String, body: String?, now: Date) async throws -> TaskRecord

    /// Turns a task definition on or off for the whole cluster: the scheduler launches no slot or instance of a
    /// disabled definition. Definitions are enabled until disabled.
    func setDefinitionEnabled(_ name: String, _ enabled: Bool, now: Date) async throws

    /// The names of the definitions disabled with ``setDefinitionEnabled(_:_:now:)``.
    func disabledDefinitions() async throws -> Set<String>

    /// Recorded state changes after `cursor` (from the oldest kept when `nil`), oldest first, at most `limit`.
    /// - Throws: ``StoreError`` `.invalid` for a cursor this store did not give.
    func stateChanges(after cursor: String?, limit: Int) async throws -> [StateChange]

    /// A cursor from which ``stateChanges(after:limit:)`` answers only changes recorded from now on (and possibly a
    /// few just before: it never misses one).
    func stateChangeHead() async throws -> String

    /// Deletes old recorded state changes, keeping at least the newest `keeping` (and always the newest write's):
    /// the changes of one write are kept or deleted together.
    /// - Returns: the number of changes deleted.
    func pruneStateChanges(keeping: Int) async throws -> Int

    /// A signal each time the store may hold new work: an enqueue, unclaim, retry, queue resume or any change by
    /// another process. Several changes may be merged into one signal; consumers re-check the store.
    func changes() -> ChangeSignal
}

/// A store that waits for a task itself: a remote one, whose server holds the wait (``ErrandClient`` uses it).
public protocol TaskWaiting: Sendable {
    /// The task once it is finished.
    /// - Throws: a timeout error naming the task as last seen when `timeout` seconds pass first.
    func wait(for id: TaskID, timeout: Double) async throws -> TaskRecord
}

extension TaskStore {
    /// Deletes up to `limit` finished trees whose root finished before `finishedBefore`, user-started or not.
    public func prune(finishedBefore: Date, limit: Int) async throws -> Int {
        try await prune(finishedBefore: finishedBefore, userTasksFinishedBefore: finishedBefore, limit: limit)
    }

    /// When a waiting task of any handler in `queues` is next due (see ``nextRunAt(queues:handlers:)``).
    public func nextRunAt(queues: [String]) async throws -> Date? {
        try await nextRunAt(queues: queues, handlers: [])
    }
}
