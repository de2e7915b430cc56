import ErrandCore
public import ErrandStore
import Foundation
public import Logging
public import ServiceLifecycle

/// What one rescue round did.
public struct RescueReport: Sendable, Hashable {
    /// Tasks whose expired lease ended their attempt `lost` and that will run again.
    public var retried: Int
    /// Tasks that had no attempts left and failed.
    public var failed: Int
    /// Workers salvaged (their tasks are counted in `retried` and `failed`).
    public var salvagedWorkers: Int

    public init(retried: Int, failed: Int, salvagedWorkers: Int = 0) {
        self.retried = retried
        self.failed = failed
        self.salvagedWorkers = salvagedWorkers
    }
}

/// Ends attempts whose lease expired (the worker died or stalled) as `lost`; the retry policy then retries or fails
/// each task. Marks workers whose heartbeat expired `lost`, and salvages them once their salvage time comes: the
/// tasks they held end `lost` at once, without waiting for their leases. Leader only (on SQLite the one process
/// leads).
public struct Rescuer: Service {
    let store: any TaskStore
    let time: any TimeSource
    /// Longest sleep between rounds; a round also runs when the earliest lease expires.
    let interval: Double
    let logger: Logger
    /// Rounds run only while this elector leads; `nil` means this node always leads (one process on SQLite).
    let leader: LeaderElector?
    /// Recorded as `salvaged_by` (this node's worker id).
    let salvager: String
    let metrics: ErrandMetrics

    public init(
        store: any TaskStore,
        time: any TimeSource = SystemTimeSource(),
        interval: Double = 1,
        logger: Logger = Logger(label: "errand.rescuer"),
        leader: LeaderElector? = nil,
        salvager: String = "rescuer",
        metrics: ErrandMetrics = .global
    ) {
        self.metrics = metrics
        self.store = store
        self.time = time
        self.interval = interval
        self.logger = logger
        self.leader = leader
        self.salvager = salvager
    }

    /// Rescues every lease expired by now, in rounds of 1,000.
    @discardableResult
    public func tick() async throws -> RescueReport {
        var report = RescueReport(retried: 0, failed: 0)
        while let expiry = try await store.nextLeaseExpiry(), expiry <= time.now {
            let results = try await store.rescueExpiredLeases(now: time.now, limit: 1000)
            metrics.leasesExpired(results)
            for case .applied(let task, _) in results {
                if task.state == .failed { report.failed += 1 } else { report.retried += 1 }
                logger.warning(
                    "lease expired; attempt lost",
                    metadata: ["errand.task.id": "\(task.id)", "errand.attempt": "\(task.attempt)", "errand.state": "\(task.state.rawValue)"]
                )
            }
            if results.count < 1000 { break }
        }
        let salvage = try await store.salvageWorkers(by: salvager, now: time.now, limit: 100)
        for worker in salvage.lost {
            logger.warning("worker lost: no heartbeat since \(worker.lastHeartbeatAt.iso8601)", metadata: ["errand.worker.id": "\(worker.id)"])
        }
        for worker in salvage.salvaged {
            logger.warning("worker salvaged", metadata: ["errand.worker.id": "\(worker.id)", "errand.worker.name": "\(worker.name)"])
        }
        for case .applied(let task, _) in salvage.tasks {
            if task.state == .failed { report.failed += 1 } else { report.retried += 1 }
            logger.warning("task of a lost worker salvaged", metadata: ["errand.task.id": "\(task.id)", "errand.state": "\(task.state.rawValue)"])
        }
        report.salvagedWorkers = salvage.salvaged.count
        return report
    }

    /// Runs rounds until a graceful shutdown or cancellation, then returns normally.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if leader?.isLeader ?? true {
                    do { try await tick() } catch { logger.error("rescue failed", metadata: ["errand.error": "\(error)"]) }
                }
                var deadline = time.now.addingTimeInterval(interval)
                if let next = try? await store.nextLeaseExpiry() { deadline = min(deadline, max(next, time.now)) }
                do { try await time.sleep(until: deadline) } catch { return }
            }
        }
    }
}
