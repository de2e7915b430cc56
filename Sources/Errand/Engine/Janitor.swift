import ErrandCore
import ErrandStore
import Foundation
import Logging
import ServiceLifecycle

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

    public init(pruned: Int, trimmedAttempts: Int, trimmedLaunches: Int = 0, prunedStateChanges: Int = 0) {
        self.pruned = pruned
        self.trimmedAttempts = trimmedAttempts
        self.trimmedLaunches = trimmedLaunches
        self.prunedStateChanges = prunedStateChanges
    }
}

/// Deletes finished tasks older than their TTL, and caps the launch log (`task_log_max_size`): attempts per handler,
/// and finished launches per task definition; keeps the newest `stateChangesKept` recorded state changes. Leader only.
public struct Janitor: Service {
    let store: any TaskStore
    let time: any TimeSource
    /// Seconds a finished task is kept.
    let finishedTaskTTL: Double
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
        taskLogMaxSize: Int,
        stateChangesKept: Int = StateChange.defaultKept,
        interval: Double = 60,
        logger: Logger = Logger(label: "errand.janitor"),
        leader: LeaderElector? = nil
    ) {
        self.store = store
        self.time = time
        self.finishedTaskTTL = finishedTaskTTL
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
        let cutoff = time.now.addingTimeInterval(-finishedTaskTTL)
        while true {
            let deleted = try await store.prune(finishedBefore: cutoff, limit: 10_000)
            pruned += deleted
            if deleted < 10_000 { break }
        }
        let trimmed = try await store.trimAttemptLog(maxPerHandler: taskLogMaxSize)
        let launches = try await store.trimLaunches(maxPerModule: taskLogMaxSize)
        // Workers that stopped are kept as long as finished tasks.
        let workers = try await store.pruneWorkers(endedBefore: cutoff)
        let changes = try await store.pruneStateChanges(keeping: stateChangesKept)
        if pruned + trimmed + launches + workers > 0 {
            logger.info("janitor pruned \(pruned) tasks, \(trimmed) attempts, \(launches) launches past the cap and \(workers) workers")
        }
        return JanitorReport(pruned: pruned, trimmedAttempts: trimmed, trimmedLaunches: launches, prunedStateChanges: changes)
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
