import Logging
import PostgresNIO
import Synchronization

/// The store's `PostgresClient`, replaced whole when an operation on it hangs, or when its server fails and the
/// configuration lists others.
///
/// A query sent on a connection the server has just closed can wait forever (postgres-nio 1.33 does not always fail
/// it), holding its pooled connection. Store operations therefore run under ``withDeadline(_:_:)``; when one times out
/// the store calls ``replace(_:)``: later operations get a fresh pool, and the stuck one is left to the old pool.
///
/// With several servers (`postgres://h1,h2/db`), an error that says the server is lost calls ``failOver(from:)``:
/// one search at a time tries every server, and moves the pool to the first one the session target accepts.
final class ConnectionPool: Sendable {
    private struct Current {
        var client: PostgresClient
        var runner: Task<Void, Never>
        /// Which of the configuration's endpoints `client` connects to.
        var index: Int
        var searching = false
        var searchEnded: ContinuousClock.Instant?
        var closed = false
    }

    private let state: Mutex<Current>
    private let configuration: PostgresConfiguration
    /// The pool's own logger (quiet: it logs every failed connection attempt).
    private let poolLogger: Logger
    /// The store's logger, for the moves between servers.
    private let logger: Logger

    /// A pool on `configuration.endpoints[index]`.
    init(configuration: PostgresConfiguration, endpoint index: Int, logger: Logger, poolLogger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.poolLogger = poolLogger
        let client = PostgresClient(configuration: configuration.clientConfiguration(configuration.endpoints[index]), backgroundLogger: poolLogger)
        state = Mutex(Current(client: client, runner: Self.start(client), index: index))
    }

    /// Runs `client` until cancelled, detached: a replacement is made inside whichever service's task hit the
    /// timeout, and a child `Task` would inherit that task's graceful-shutdown handler (a task local), so that
    /// `PostgresClient.run()` shut the new pool down at the node's first SIGTERM, while the node still needed it to
    /// write its last finishes (a node then hung at shutdown after an outage).
    private static func start(_ client: PostgresClient) -> Task<Void, Never> {
        Task.detached { await client.run() }
    }

    /// The pool operations use now.
    var client: PostgresClient { state.withLock { $0.client } }

    /// The server the pool connects to now.
    var endpoint: PostgresConfiguration.Endpoint { configuration.endpoints[state.withLock { $0.index }] }

    /// Replaces `stale` with a new pool on the same server, unless that was done already.
    func replace(_ stale: PostgresClient) {
        let old = state.withLock { current -> Task<Void, Never>? in
            guard current.client === stale, !current.closed else { return nil }
            return swap(&current, to: current.index)
        }
        old?.cancel()
    }

    /// Looks for the server to use, in the background, when `stale` is still the pool in use, the configuration
    /// lists several servers, and no search is running or ended within the last second.
    func failOver(from stale: PostgresClient) {
        guard configuration.endpoints.count > 1 else { return }
        let begin = state.withLock { current -> Bool in
            guard current.client === stale, !current.closed, !current.searching else { return false }
            if let ended = current.searchEnded, ContinuousClock.now - ended < .seconds(1) { return false }
            current.searching = true
            return true
        }
        if begin { Task.detached { await self.search() } }
    }

    /// Tries every server until one is accepted, every half second; moves the pool there if it is another.
    private func search() async {
        var announced = false
        while !state.withLock({ $0.closed }) {
            switch await configuration.firstAccepted(connectTimeout: .seconds(3), logger: poolLogger) {
            case .success(let index):
                let moved = state.withLock { current -> (Task<Void, Never>, PostgresConfiguration.Endpoint)? in
                    current.searching = false
                    current.searchEnded = .now
                    guard !current.closed, index != current.index else { return nil }
                    let from = configuration.endpoints[current.index]
                    return (swap(&current, to: index), from)
                }
                if let (old, from) = moved {
                    old.cancel()
                    logger.notice(
                        "PostgreSQL: now on \(configuration.endpoints[index]) (was \(from); target_session_attrs=\(configuration.target.rawValue))"
                    )
                } else if announced {
                    logger.notice("PostgreSQL: \(endpoint) is usable again")
                }
                return
            case .failure(let refused):
                if !announced {
                    logger.warning("\(refused); looking again every 0.5 s")
                    announced = true
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        state.withLock { $0.searching = false }
    }

    /// Points `current` at a new pool on endpoint `index`; returns the old pool's runner, to be cancelled.
    private func swap(_ current: inout Current, to index: Int) -> Task<Void, Never> {
        let old = current.runner
        let client = PostgresClient(configuration: configuration.clientConfiguration(configuration.endpoints[index]), backgroundLogger: poolLogger)
        current.client = client
        current.runner = Self.start(client)
        current.index = index
        return old
    }

    /// Closes every connection.
    func close() {
        state.withLock { current in
            current.closed = true
            current.runner.cancel()
        }
    }
}
