import ErrandCore
import ErrandStore
import Foundation
import Logging
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
    /// parts to the live workers that run its handler.
    func declaring(handlers: [String]) -> WorkerPresenceConfiguration {
        var object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any] ?? [:]
        guard object["handlers"] == nil else { return self }
        object["handlers"] = handlers
        var configuration = self
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            configuration.spec = String(decoding: data, as: UTF8.self)
        }
        return configuration
    }
}

extension WorkerRecord {
    /// The handlers its spec says it runs; empty when it says none (any handler, or unknown).
    public var handlers: [String] {
        let object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any]
        return object?["handlers"] as? [String] ?? []
    }
}

/// Keeps a node's worker record alive: registers it, heartbeats it, and records how it ended. When the store says
/// the worker was salvaged meanwhile, or no heartbeat got through for the expiration time, the node must stop: its
/// tasks are (or will be) run by others.
final class WorkerPresence: Sendable {
    let configuration: WorkerPresenceConfiguration
    let record: WorkerRecord
    private let store: any TaskStore
    private let time: any TimeSource
    private let logger: Logger
    private let lostSelf = Atomic<Bool>(false)

    init(configuration: WorkerPresenceConfiguration, dispatcher: DispatcherConfiguration, store: any TaskStore, time: any TimeSource, logger: Logger)
    {
        self.configuration = configuration
        self.store = store
        self.time = time
        self.logger = logger
        record = WorkerRecord(
            id: configuration.id,
            name: configuration.name ?? dispatcher.worker,
            leaseName: dispatcher.worker,
            queues: dispatcher.queues,
            spec: configuration.spec,
            startedAt: time.now,
            heartbeatExpiration: configuration.heartbeatExpiration,
            salvageAfter: configuration.salvageAfter
        )
    }

    /// Whether the worker found itself lost (salvaged, or cut off for longer than its expiration).
    var isLost: Bool { lostSelf.load(ordering: .relaxed) }

    /// Registers the worker, then salvages lost workers as configured.
    func register() async throws {
        var record = record
        record.startedAt = time.now
        record.lastHeartbeatAt = record.startedAt
        try await store.registerWorker(record)
        guard configuration.salvageOnStart != 0 else { return }
        let limit = configuration.salvageOnStart < 0 ? 1000 : configuration.salvageOnStart
        let salvage = try await store.salvageWorkers(by: record.id, now: time.now, limit: limit)
        if !salvage.salvaged.isEmpty {
            logger.notice("salvaged \(salvage.salvaged.count) lost workers and \(salvage.tasks.count) of their tasks on start")
        }
    }

    /// Heartbeats until cancelled; calls `lost` once when the worker must stop.
    func heartbeat(lost: @Sendable () -> Void) async {
        var lastSuccess = time.now
        while !Task.isCancelled {
            do { try await time.sleep(until: time.now.addingTimeInterval(configuration.heartbeatInterval)) } catch { return }
            do {
                let stored = try await store.workerHeartbeat(record.id, now: time.now)
                lastSuccess = time.now
                if let stored, stored.state != .running {
                    logger.error("this worker was marked \(stored.state.rawValue) by \(stored.salvagedBy ?? "another node"); stopping")
                    lostSelf.store(true, ordering: .relaxed)
                    lost()
                    return
                }
            } catch {
                logger.error("worker heartbeat failed", metadata: ["errand.error": "\(error)"])
                if time.now.timeIntervalSince(lastSuccess) >= configuration.heartbeatExpiration {
                    logger.error("no heartbeat got through for \(configuration.heartbeatExpiration) s; stopping (the tasks will be salvaged)")
                    lostSelf.store(true, ordering: .relaxed)
                    lost()
                    return
                }
            }
        }
    }

    /// Records how the worker ended.
    func end(failed: Bool) async {
        do {
            try await store.endWorker(record.id, as: failed || isLost ? .failed : .succeeded, now: time.now)
        } catch {
            logger.error("could not record the end of this worker", metadata: ["errand.error": "\(error)"])
        }
    }
}
