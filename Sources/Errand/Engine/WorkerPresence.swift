import ErrandCore
import ErrandStore
public import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// How a node shows itself in the worker registry (pftaskqueue's worker heartbeat settings).
public struct WorkerPresenceConfiguration: Sendable {
    /// Unique per run (`workerUID`).
    public var id: String
    /// The name shown and stamped into attempts (default: the dispatcher's worker name).
    public var name: String?
    /// Settings shown by `errand worker list`, as JSON text.
    public var spec: String
    /// Seconds between heartbeats.
    public var heartbeatInterval: Double
    /// Seconds without a heartbeat after which the worker counts as lost.
    public var heartbeatExpiration: Double
    /// Seconds after it counts as lost before its tasks are salvaged.
    public var salvageAfter: Double
    /// Lost workers this node salvages as it starts (pftaskqueue's `numWorkerSalvageOnStartup`): -1 all, 0 none.
    /// The leader salvages continuously whatever this says.
    public var salvageOnStart: Int

    public init(
        id: String = UUID().uuidString.lowercased(),
        name: String? = nil,
        spec: String = "{}",
        heartbeatInterval: Double = 2,
        heartbeatExpiration: Double = 10,
        salvageAfter: Double = 15,
        salvageOnStart: Int = -1
    ) {
        self.id = id
        self.name = name
        self.spec = spec
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatExpiration = heartbeatExpiration
        self.salvageAfter = salvageAfter
        self.salvageOnStart = salvageOnStart
    }
}

extension WorkerPresenceConfiguration {
    /// `spec` with the handlers the node runs (`"handlers"`), unless it names them already: a broadcast sends its
    /// parts to the live workers that run its handler; and the tags it has (`"tags"`), which decide who can take a
    /// task that requires some.
    func declaring(handlers: [String], tags: [String] = []) -> WorkerPresenceConfiguration {
        var object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any] ?? [:]
        if !tags.isEmpty, object["tags"] == nil { object["tags"] = tags }
        if object["handlers"] == nil { object["handlers"] = handlers }
        var configuration = self
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            configuration.spec = String(decoding: data, as: UTF8.self)
        }
        return configuration
    }
}

/// Keeps a node's worker record alive: registers it, heartbeats it, and records how it ended.
///
/// A node rides out a store outage of any length: it keeps trying, logs the outage once, and resumes when the store
/// answers. When the store says meanwhile that the worker was salvaged (its tasks were given to others) or its record
/// is gone, the node rejoins under a new worker id rather than exit: the store has judged its old leases already, so
/// attempts it still runs under them are refused and cancelled by the dispatcher's lease heartbeat.
final class WorkerPresence: Sendable {
    let configuration: WorkerPresenceConfiguration
    private let initial: WorkerRecord
    private let store: any TaskStore
    private let time: any TimeSource
    private let logger: Logger
    private let current: Mutex<WorkerRecord>
    private let rejoinCount = Atomic<Int>(0)

    init(configuration: WorkerPresenceConfiguration, dispatcher: DispatcherConfiguration, store: any TaskStore, time: any TimeSource, logger: Logger)
    {
        self.configuration = configuration
        self.store = store
        self.time = time
        self.logger = logger
        initial = WorkerRecord(
            id: configuration.id,
            name: configuration.name ?? dispatcher.worker,
            leaseName: dispatcher.worker,
            queues: dispatcher.queues,
            spec: configuration.spec,
            startedAt: time.now,
            heartbeatExpiration: configuration.heartbeatExpiration,
            salvageAfter: configuration.salvageAfter
        )
        current = Mutex(initial)
    }

    /// The worker record as last registered (a rejoin gives it a new id).
    var record: WorkerRecord { current.withLock { $0 } }

    /// How many times the node rejoined after it was found lost and salvaged.
    var rejoins: Int { rejoinCount.load(ordering: .relaxed) }

    /// Registers the worker, waiting out a store that does not answer (a node may start during an outage), then
    /// salvages lost workers as configured (the leader salvages anyway, so a failure there is only logged).
    /// - Returns: `false` when a graceful shutdown or cancellation came first: the node then starts nothing.
    func register() async -> Bool {
        var failures = 0
        while true {
            var record = record
            if failures > 0 {
                // A registration whose answer was lost may have been stored: a fresh id never collides with it (the
                // stray record holds no tasks, and is salvaged once its heartbeat expires).
                record.id = UUID().uuidString.lowercased()
            }
            record.startedAt = time.now
            record.lastHeartbeatAt = record.startedAt
            do {
                try await store.registerWorker(record)
                current.withLock { $0 = record }
                if failures > 0 { logger.notice("the store answers; this worker is registered", metadata: ["errand.worker.id": "\(record.id)"]) }
                break
            } catch {
                failures += 1
                if failures == 1 {
                    logger.error("cannot register this worker yet; retrying until the store answers", metadata: ["errand.error": "\(error)"])
                }
                if Task.isCancelled || Task.isShuttingDownGracefully { return false }
                let pause = min(5, 0.25 * Double(failures))
                do { try await time.sleep(until: time.now.addingTimeInterval(pause)) } catch { return false }
                if Task.isShuttingDownGracefully { return false }
            }
        }
        guard configuration.salvageOnStart != 0 else { return true }
        let limit = configuration.salvageOnStart < 0 ? 1000 : configuration.salvageOnStart
        do {
            let salvage = try await store.salvageWorkers(by: record.id, now: time.now, limit: limit)
            if !salvage.salvaged.isEmpty {
                logger.notice("salvaged \(salvage.salvaged.count) lost workers and \(salvage.tasks.count) of their tasks on start")
            }
        } catch {
            logger.warning("could not salvage lost workers on start; the leader will", metadata: ["errand.error": "\(error)"])
        }
        return true
    }

    /// Heartbeats until cancelled, through outages of any length; rejoins when the store found the worker lost.
    func heartbeat() async {
        var lastSuccess = time.now
        var outageLogged = false
        var expiryLogged = false
        while !Task.isCancelled {
            do { try await time.sleep(until: time.now.addingTimeInterval(configuration.heartbeatInterval)) } catch { return }
            let id = record.id
            do {
                let stored = try await store.workerHeartbeat(id, now: time.now)
                if outageLogged {
                    let seconds = time.now.timeIntervalSince(lastSuccess).formatted(.number.precision(.fractionLength(1)))
                    logger.notice("the store answers again after \(seconds) s; heartbeats resume", metadata: ["errand.worker.id": "\(id)"])
                }
                lastSuccess = time.now
                outageLogged = false
                expiryLogged = false
                if stored?.state != .running { await rejoin(after: stored) }
            } catch {
                if Task.isCancelled { return }
                if !outageLogged {
                    logger.error("worker heartbeat failed; retrying until the store answers", metadata: ["errand.error": "\(error)"])
                    outageLogged = true
                }
                if !expiryLogged, time.now.timeIntervalSince(lastSuccess) >= configuration.heartbeatExpiration {
                    logger.warning(
                        "no heartbeat got through for \(configuration.heartbeatExpiration.formatted()) s: the leader may count this node lost and run its tasks elsewhere; it keeps going and rejoins when the store answers"
                    )
                    expiryLogged = true
                }
            }
        }
    }

    /// Registers the node again under a new worker id, after its record was salvaged, ended or pruned.
    private func rejoin(after stored: WorkerRecord?) async {
        let reason =
            stored.map { "was marked \($0.state.rawValue)" + ($0.salvagedBy.map { " by \($0)" } ?? "") } ?? "has no record in the store"
        var record = self.record
        let old = record.id
        record.id = UUID().uuidString.lowercased()
        record.startedAt = time.now
        record.lastHeartbeatAt = record.startedAt
        do {
            try await store.registerWorker(record)
        } catch {
            logger.error("could not rejoin; trying again with the next heartbeat", metadata: ["errand.error": "\(error)"])
            return
        }
        current.withLock { $0 = record }
        rejoinCount.add(1, ordering: .relaxed)
        logger.warning(
            "this worker \(reason) (its tasks run elsewhere); rejoined as a new worker",
            metadata: ["errand.worker.id": "\(record.id)", "errand.worker.previous_id": "\(old)"]
        )
    }

    /// Records how the worker ended.
    func end(failed: Bool) async {
        do {
            try await store.endWorker(record.id, as: failed ? .failed : .succeeded, now: time.now)
        } catch {
            logger.error("could not record the end of this worker", metadata: ["errand.error": "\(error)"])
        }
    }
}
