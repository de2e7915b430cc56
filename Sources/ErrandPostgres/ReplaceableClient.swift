import Logging
import PostgresNIO
import Synchronization

/// The store's `PostgresClient`, replaced whole when an operation on it hangs, or when its server fails and the
/// configuration lists others; ``run()`` runs it, its replacements and the searches for a server.
///
/// A query can wait without end in postgres-nio 1.33 when its server goes away: a pool whose server is down retries
/// connections and lets queries wait ([vapor/postgres-nio#565](https://github.com/vapor/postgres-nio/issues/565),
/// [#489](https://github.com/vapor/postgres-nio/issues/489)), and a query sent on a connection the server has just
/// closed is not always failed (seen here after server restarts; `PostgresOutageTests` covers it). Store operations
/// therefore run under ``withDeadline(_:_:)``; when one times out the store calls ``replace(_:)``: later operations
/// get a fresh pool, and the stuck one is left to the old pool, which is shut down.
///
/// With several servers (`postgres://h1,h2/db`), an error that says the server is lost calls ``failOver(from:)``:
/// one search at a time tries every server, and moves the pool to the first one the session target accepts.
final class ReplaceableClient: Sendable {
    private struct Current {
        var client: PostgresClient
        /// Finished to stop `client`'s `run()`.
        var stop: AsyncStream<Never>.Continuation
        /// Which of the configuration's endpoints `client` connects to.
        var index: Int
        var searching = false
        var searchEnded: ContinuousClock.Instant?
        var closed = false
    }

    /// What ``run()`` starts: a pool (until its stream ends), or a search for the server to use.
    private enum Work {
        case pool(PostgresClient, stop: AsyncStream<Never>)
        case search
    }

    private let state: Mutex<Current>
    private let work: (stream: AsyncStream<Work>, continuation: AsyncStream<Work>.Continuation)
    private let configuration: PostgresConfiguration
    /// The pool's own logger (quiet: it logs every failed connection attempt).
    private let poolLogger: Logger
    /// The store's logger, for the moves between servers.
    private let logger: Logger

    /// A pool on `configuration.endpoints[index]`; it connects once ``run()`` runs.
    init(configuration: PostgresConfiguration, endpoint index: Int, logger: Logger, poolLogger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.poolLogger = poolLogger
        work = AsyncStream.makeStream()
        let client = PostgresClient(configuration: configuration.clientConfiguration(configuration.endpoints[index]), backgroundLogger: poolLogger)
        let (stop, stopper) = AsyncStream<Never>.makeStream()
        state = Mutex(Current(client: client, stop: stopper, index: index))
        work.continuation.yield(.pool(client, stop: stop))
    }

    /// Runs the pool in use and each replacement (the one it replaces is shut down), and the searches for a server,
    /// until cancelled or ``close()``d. Call it once (the store's ``PostgresTaskStore/run()`` does).
    func run() async {
        await withDiscardingTaskGroup { group in
            for await item in work.stream {
                switch item {
                case .pool(let client, let stop):
                    group.addTask {
                        await withDiscardingTaskGroup { pool in
                            pool.addTask { await client.run() }
                            for await _ in stop {}
                            pool.cancelAll()
                        }
                    }
                case .search:
                    group.addTask { await self.search() }
                }
            }
            group.cancelAll()
        }
    }

    /// The pool operations use now.
    var client: PostgresClient { state.withLock { $0.client } }

    /// The server the pool connects to now.
    var endpoint: PostgresConfiguration.Endpoint { configuration.endpoints[state.withLock { $0.index }] }

    /// Replaces `stale` with a new pool on the same server, unless that was done already.
    func replace(_ stale: PostgresClient) {
        state.withLock { current in
            guard current.client === stale, !current.closed else { return }
            swap(&current, to: current.index)
        }
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
        if begin { work.continuation.yield(.search) }
    }

    /// Tries every server until one is accepted, every half second; moves the pool there if it is another.
    private func search() async {
        var announced = false
        while !state.withLock({ $0.closed }), !Task.isCancelled {
            switch await configuration.firstAccepted(connectTimeout: .seconds(3), logger: poolLogger) {
            case .success(let index):
                let from = state.withLock { current -> PostgresConfiguration.Endpoint? in
                    current.searching = false
                    current.searchEnded = .now
                    guard !current.closed, index != current.index else { return nil }
                    let from = configuration.endpoints[current.index]
                    swap(&current, to: index)
                    return from
                }
                if let from {
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

    /// Points `current` at a new pool on endpoint `index`, handed to ``run()``, and stops the old one.
    private func swap(_ current: inout Current, to index: Int) {
        current.stop.finish()
        let client = PostgresClient(configuration: configuration.clientConfiguration(configuration.endpoints[index]), backgroundLogger: poolLogger)
        let (stop, stopper) = AsyncStream<Never>.makeStream()
        current.client = client
        current.stop = stopper
        current.index = index
        work.continuation.yield(.pool(client, stop: stop))
    }

    /// Closes every connection; ``run()`` returns.
    func close() {
        state.withLock { current in
            current.closed = true
            current.stop.finish()
        }
        work.continuation.finish()
    }
}
