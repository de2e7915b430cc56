import ErrandCore
public import ErrandStore
import Foundation
public import Logging
public import ServiceLifecycle

/// What one janitor round did.
public struct JanitorReport: Sendable, Hashable {
    /// Finished tasks deleted for being older than the TTL.
    public var pruned: Int
    /// Launch-log lines deleted past the per-handler cap.
    public var trimmedAttempts: Int
    /// Finished launches of task definitions deleted past the per-definition cap.
    public var trimmedLaunches: Int
    /// Recorded state changes deleted past the number kept.
    public var prunedStateChanges: Int
    /// Finished tasks moved to the archive.
    public var archived: Int

    public init(pruned: Int, trimmedAttempts: Int, trimmedLaunches: Int = 0, prunedStateChanges: Int = 0, archived: Int = 0) {
        self.archived = archived
        self.pruned = pruned
        self.trimmedAttempts = trimmedAttempts
        self.trimmedLaunches = trimmedLaunches
        self.prunedStateChanges = prunedStateChanges
    }
}

/// Moves finished task trees older than `archiveOlderThan` to the archive (when set), deletes finished task trees
/// older than their TTL (ScyllaDB's `task_ttl`, or `user_task_ttl` for a root a user
/// started; the store's settings, changed at run time, take precedence over the node's), and caps the launch log (`task_log_max_size`): attempts per handler,
/// and finished launches per task definition; keeps the newest `stateChangesKept` recorded state changes. Leader only.
public struct Janitor: Service {
    let store: any TaskStore
    let time: any TimeSource
    /// Seconds a finished root task (and its tree) is kept, unless the store's ``StoreSetting/taskTTL`` says otherwise.
    let finishedTaskTTL: Double
    /// The same for a user-started root (``StoreSetting/userTaskTTL``); `finishedTaskTTL` when `nil`.
    let userTaskTTL: Double?
    /// Seconds after which a finished tree moves to the archive; `nil`: never.
    let archiveOlderThan: Double?
    /// Attempts kept per handler name.
    let taskLogMaxSize: Int
    /// Recorded state changes kept (the events a stream can resume over).
    let stateChangesKept: Int
    let interval: Double
    let logger: Logger
    /// Rounds run only while this elector leads; `nil` means this node always leads (one process on SQLite).
    let leader: LeaderElector?

    public init(
        store: any TaskStore,
        time: any TimeSource = SystemTimeSource(),
        finishedTaskTTL: Double,
        userTaskTTL: Double? = nil,
        archiveOlderThan: Double? = nil,
        taskLogMaxSize: Int,
        stateChangesKept: Int = StateChange.defaultKept,
        interval: Double = 60,
        logger: Logger = Logger(label: "errand.janitor"),
        leader: LeaderElector? = nil
    ) {
        self.store = store
        self.time = time
        self.finishedTaskTTL = finishedTaskTTL
        self.userTaskTTL = userTaskTTL
        self.archiveOlderThan = archiveOlderThan
        self.taskLogMaxSize = taskLogMaxSize
        self.stateChangesKept = stateChangesKept
        self.interval = interval
        self.logger = logger
        self.leader = leader
    }

    /// Prunes in bounded batches of 10,000 so no transaction holds the database for long.
    @discardableResult
    public func tick() async throws -> JanitorReport {
        var pruned = 0
        let ttls = try await currentTTLs()
        let now = time.now
        let cutoff = now.addingTimeInterval(-ttls.ttl)
        let userCutoff = now.addingTimeInterval(-ttls.userTTL)
        while true {
            let deleted = try await store.prune(finishedBefore: cutoff, userTasksFinishedBefore: userCutoff, limit: 10_000)
            pruned += deleted
            if deleted < 10_000 { break }
        }
        // Archived after pruning, so that a tree past its TTL is deleted rather than moved first.
        var archived = 0
        if let archiveOlderThan {
            while true {
                let moved = try await store.archive(finishedBefore: now.addingTimeInterval(-archiveOlderThan), limit: 10_000)
                archived += moved
                if moved < 10_000 { break }
            }
        }
        let trimmed = try await store.trimAttemptLog(maxPerHandler: taskLogMaxSize)
        let launches = try await store.trimLaunches(maxPerModule: taskLogMaxSize)
        // Workers that stopped are kept as long as finished tasks.
        let workers = try await store.pruneWorkers(endedBefore: cutoff)
        let changes = try await store.pruneStateChanges(keeping: stateChangesKept)
        if pruned + trimmed + launches + workers + archived > 0 {
            logger.info(
                "janitor pruned \(pruned) tasks, \(trimmed) attempts, \(launches) launches past the cap and \(workers) workers; archived \(archived) tasks"
            )
        }
        return JanitorReport(pruned: pruned, trimmedAttempts: trimmed, trimmedLaunches: launches, prunedStateChanges: changes, archived: archived)
    }

    /// The TTLs in force: the store's settings (set at run time by `errand ttl set`) over this janitor's own.
    public func currentTTLs() async throws -> (ttl: Double, userTTL: Double) {
        let ttl = try await store.setting(StoreSetting.taskTTL).flatMap(Double.init) ?? finishedTaskTTL
        let userTTL = try await store.setting(StoreSetting.userTaskTTL).flatMap(Double.init) ?? userTaskTTL ?? ttl
        return (ttl, userTTL)
    }

    /// Runs rounds until a graceful shutdown or cancellation, then returns normally.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if leader?.isLeader ?? true {
                    do { try await tick() } catch { logger.error("janitor round failed", metadata: ["errand.error": "\(error)"]) }
                }
                do { try await time.sleep(until: time.now.addingTimeInterval(interval)) } catch { return }
            }
        }
    }
}
