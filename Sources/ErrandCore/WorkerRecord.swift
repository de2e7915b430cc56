public import Foundation

/// Where a worker is in its life (pftaskqueue's worker phases and reasons).
///
/// ```
/// running ──▶ succeeded   (stopped cleanly)
///    │    ──▶ failed      (stopped on an error)
///    └──▶ lost ──▶ salvaged   (heartbeat expired; after salvage_after its tasks were re-queued)
/// ```
public enum WorkerState: String, Sendable, Hashable, CaseIterable {
    case running
    case succeeded
    case failed
    /// Its heartbeat expired: the process died or stalled.
    case lost
    /// Lost, and its unfinished tasks were re-queued by another node.
    case salvaged
}

/// One run of a worker process, as registered in the store.
public struct WorkerRecord: Sendable, Hashable {
    /// Unique per run (pftaskqueue's `workerUID`).
    public var id: String
    /// The name it was given (pftaskqueue's `workerName`), stamped into attempts.
    public var name: String
    /// The identity its leases carry (`Lease.worker`): how its tasks are found when it is salvaged.
    public var leaseName: String
    /// The queues it claims from (empty: all).
    public var queues: [String]
    /// Its settings as JSON text (command, concurrency, timeouts…), for `errand worker list`.
    public var spec: String
    public var state: WorkerState
    public var startedAt: Date
    public var lastHeartbeatAt: Date
    /// Seconds without a heartbeat after which it counts as lost.
    public var heartbeatExpiration: Double
    /// Seconds after it counts as lost before its tasks are salvaged.
    public var salvageAfter: Double
    public var finishedAt: Date?
    /// The node that salvaged it.
    public var salvagedBy: String?
    public var salvagedAt: Date?

    public init(
        id: String,
        name: String,
        leaseName: String,
        queues: [String] = [],
        spec: String = "{}",
        state: WorkerState = .running,
        startedAt: Date,
        lastHeartbeatAt: Date? = nil,
        heartbeatExpiration: Double = 10,
        salvageAfter: Double = 15,
        finishedAt: Date? = nil,
        salvagedBy: String? = nil,
        salvagedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.leaseName = leaseName
        self.queues = queues
        self.spec = spec
        self.state = state
        self.startedAt = startedAt
        self.lastHeartbeatAt = lastHeartbeatAt ?? startedAt
        self.heartbeatExpiration = heartbeatExpiration
        self.salvageAfter = salvageAfter
        self.finishedAt = finishedAt
        self.salvagedBy = salvagedBy
        self.salvagedAt = salvagedAt
    }

    /// When its heartbeat expires (it is lost from then on, unless it beats again).
    public var expiresAt: Date { lastHeartbeatAt.addingTimeInterval(heartbeatExpiration) }

    /// When, once lost, its tasks may be salvaged.
    public var salvageableAt: Date { expiresAt.addingTimeInterval(salvageAfter) }
}

extension WorkerRecord {
    /// The handlers its spec says it runs; empty when it says none (any handler, or unknown).
    public var handlers: [String] {
        let object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any]
        return object?["handlers"] as? [String] ?? []
    }

    /// The tags its spec says it has (riaktq's instance features); empty when it says none.
    public var tags: [String] {
        let object = (try? JSONSerialization.jsonObject(with: Data(spec.utf8))) as? [String: Any]
        return object?["tags"] as? [String] ?? []
    }

    /// Whether it is alive at `now`: running, with a heartbeat that has not expired.
    public func isLive(at now: Date) -> Bool { state == .running && expiresAt > now }
}
