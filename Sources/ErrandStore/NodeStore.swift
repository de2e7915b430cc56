public import ErrandCore
public import Foundation

/// The writes of the worker registry: what a node does for its own workers and to salvage lost ones.
public protocol WorkerRegistry: Sendable {
    /// Records a worker that starts (`running`, its first heartbeat now).
    func registerWorker(_ worker: WorkerRecord) async throws

    /// Records a heartbeat of a running (or lost, not yet salvaged) worker, which is then `running` again.
    /// - Returns: the stored record: one whose state is not `running` afterwards (salvaged, ended) no longer holds its
    ///   tasks, and its node registers again under a new id;
    ///   `nil` when no worker has this id.
    func workerHeartbeat(_ id: String, now: Date) async throws -> WorkerRecord?

    /// Records that a worker stopped (`succeeded` or `failed`); a salvaged worker stays salvaged.
    func endWorker(_ id: String, as state: WorkerState, now: Date) async throws

    /// Marks running workers whose heartbeat expired as `lost`, then salvages up to `limit` lost workers whose
    /// salvage time has come: each becomes `salvaged` (by `salvager`), and each task it still held ends its attempt
    /// `lost` at once (``TaskEvent/salvage(by:)``) and runs again by its retry policy. Tasks only it could claim
    /// (``TaskTreeFields/Values/targetWorker``, a broadcast's parts) that it never started are cancelled.
    func salvageWorkers(by salvager: String, now: Date, limit: Int) async throws -> WorkerSalvage

    /// Deletes workers that stopped (succeeded, failed, salvaged) before `endedBefore`.
    /// - Returns: the number deleted.
    func pruneWorkers(endedBefore: Date) async throws -> Int
}

/// The leader lease nodes take turns on.
public protocol LeaderLease: Sendable {
    /// Takes the leader lease for `node`, or renews it if `node` holds it, until `now + ttl`.
    ///
    /// At most one node holds the lease at a time: another node can take it only once it has expired (or was
    /// released). Nodes compare `now` values, so their clocks must agree to well within `ttl` (NTP).
    /// - Returns: whether `node` holds the lease after the call.
    func acquireLeadership(_ node: String, ttl: Double, now: Date) async throws -> Bool

    /// Gives up the leader lease if `node` holds it, so another node can take it at once.
    func releaseLeadership(_ node: String) async throws
}

/// The scheduler's slots: each slot of a schedule enqueued at most once, whichever node leads.
public protocol ScheduleMarks: Sendable {
    /// Enqueues `task` as the launch of schedule `name` for `slot`, unless this slot or a later one was enqueued
    /// already: the schedule's mark (its last slot) moves forward in the same transaction as the insert, so a slot is
    /// enqueued at most once, whichever node leads. With `skipIfOutstanding`, a slot that finds an unfinished task
    /// of the schedule (same `module`) is passed over, and the mark still moves.
    /// - Throws: as ``TaskRecords/enqueue(_:now:)``.
    func enqueueSlot(_ task: NewTask, schedule name: String, slot: Date, skipIfOutstanding: Bool, now: Date) async throws -> SlotResult

    /// The last slot enqueued (or passed over) for schedule `name`, or `nil` when there was none.
    func scheduleMark(_ name: String) async throws -> Date?
}

/// The recorded state changes and the wake-up signal.
public protocol ChangeLog: Sendable {
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

/// The janitor's and dispatcher's work: rescue, trimming, pruning, the next due time.
public protocol Housekeeping: Sendable {
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

    /// Moves up to `limit` finished trees whose root finished before `finishedBefore` (and whose descendants are all
    /// finished) to the archive (tasques' `archive_older_than`): out of the table claims, listings and idempotency
    /// checks read, still readable by id (``TaskRecords/task(_:)``) and listed with ``TaskQuery/archived``. Their
    /// attempts stay where they are. ``prune(finishedBefore:userTasksFinishedBefore:limit:)`` deletes archived
    /// trees by the same TTLs.
    /// - Returns: the number of tasks archived.
    func archive(finishedBefore: Date, limit: Int) async throws -> Int

    /// When a waiting task in active queues (all queues when `queues` is empty) of `handlers` (all when empty) is
    /// next due, or `nil` when none waits: the earliest `run_at` among scheduled tasks, or, when a pending task waits,
    /// the `run_at` of the first pending task in claim order (already due, so not after now). A store need not find
    /// the earliest among pending tasks.
    func nextRunAt(queues: [String], handlers: [String]) async throws -> Date?

    /// The earliest lease expiry among running tasks, or `nil`.
    func nextLeaseExpiry() async throws -> Date?
}

/// What a worker holding a lease writes about its task besides heartbeats and progress.
public protocol TaskReports: Sendable {
    /// Replaces the task's meta (a JSON object, or `nil` to clear it) while `lease` is held, and renews the lease as a
    /// heartbeat does (tasques' report). Answers the task as stored, or `nil` when the lease is no longer held.
    func report(_ lease: Lease, meta: String?, now: Date) async throws -> TaskRecord?
}

/// Settings shared by every node (the TTLs set at run time).
public protocol SettingStore: Sendable {
    /// A setting shared by every node (such as ``StoreSetting/taskTTL``), or `nil` when it was never set.
    func setting(_ name: String) async throws -> String?

    /// Sets (or, with `nil`, clears) a setting shared by every node.
    func setSetting(_ name: String, to value: String?, now: Date) async throws
}

extension SettingStore {
    /// The TTL set at run time for finished trees (`user` for those a user started), or `nil` when the nodes use
    /// their configured one.
    public func ttl(user: Bool = false) async throws -> Double? {
        try await setting(user ? StoreSetting.userTaskTTL : StoreSetting.taskTTL).flatMap(Double.init)
    }

    /// Sets the TTL of finished trees (`user` for those a user started) for every node, from the next janitor round.
    /// - Throws: ``StoreError`` `.invalid` for a negative number of seconds.
    public func setTTL(_ seconds: Int, user: Bool = false, now: Date) async throws {
        guard seconds >= 0 else { throw StoreError(.invalid, "ttl must be a whole number of seconds >= 0, got \(seconds)") }
        try await setSetting(user ? StoreSetting.userTaskTTL : StoreSetting.taskTTL, to: String(seconds), now: now)
    }
}
