import ErrandCore
public import ErrandStore
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Elects one leader among the nodes sharing a store, through the store's leader lease.
///
/// Every `interval` the node takes or renews the lease for `ttl` seconds. It counts itself leader only until
/// `ttl - margin` after it *sent* its last successful renewal, so a leader cut off from the store stops leading
/// before its lease expires in the store, and so before any other node can take over. After a leader dies, another
/// node takes over within `ttl + interval` seconds (4 s with the defaults: a lease of 3 s renewed every second). On shutdown the lease is released, so a
/// successor starts at once.
public final class LeaderElector: Service {
    private struct State {
        var leaderUntil = Date.distantPast
        var wasLeader = false
    }

    let store: any TaskStore
    /// This node's name in the lease.
    public let node: String
    let ttl: Double
    let margin: Double
    let interval: Double
    let time: any TimeSource
    let logger: Logger
    private let state = Mutex(State())

    public init(
        store: any TaskStore,
        node: String,
        ttl: Double = 3,
        margin: Double = 0.5,
        interval: Double = 1,
        time: any TimeSource = SystemTimeSource(),
        logger: Logger = Logger(label: "errand.leader")
    ) {
        precondition(ttl > margin && margin >= 0 && interval > 0 && interval < ttl - margin, "leader timings make no sense")
        self.store = store
        self.node = node
        self.ttl = ttl
        self.margin = margin
        self.interval = interval
        self.time = time
        self.logger = logger
    }

    /// Whether this node leads right now.
    public var isLeader: Bool {
        let now = time.now
        return state.withLock { $0.leaderUntil > now }
    }

    /// Takes or renews the lease once; returns whether this node leads afterwards.
    @discardableResult
    public func tick() async -> Bool {
        let sent = time.now
        let held = (try? await store.acquireLeadership(node, ttl: ttl, now: sent)) ?? false
        let (became, lost) = state.withLock { state -> (Bool, Bool) in
            if held { state.leaderUntil = sent.addingTimeInterval(ttl - margin) }
            let leads = state.leaderUntil > time.now
            defer { state.wasLeader = leads }
            return (leads && !state.wasLeader, !leads && state.wasLeader)
        }
        if became { logger.notice("this node leads", metadata: ["errand.node": "\(node)"]) }
        if lost { logger.warning("this node no longer leads", metadata: ["errand.node": "\(node)"]) }
        return held
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.tick()
                do { try await self.time.sleep(until: self.time.now.addingTimeInterval(self.interval)) } catch { break }
            }
        }
        let wasLeader = state.withLock { state in
            defer { state.leaderUntil = .distantPast }
            return state.leaderUntil > .distantPast
        }
        if wasLeader { try? await store.releaseLeadership(node) }
    }
}
