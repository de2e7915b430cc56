import Logging
import PostgresNIO
import Synchronization

/// The store's `PostgresClient`, replaced whole when an operation on it hangs.
///
/// A query sent on a connection the server has just closed can wait forever (postgres-nio 1.33 does not always fail
/// it), holding its pooled connection. Store operations therefore run under ``withDeadline(_:_:)``; when one times out
/// the store calls ``replace(_:)``: later operations get a fresh pool, and the stuck one is left to the old pool.
final class ConnectionPool: Sendable {
    private struct Current {
        var client: PostgresClient
        var runner: Task<Void, Never>
        var closed = false
    }

    private let state: Mutex<Current>
    private let configuration: PostgresClient.Configuration
    private let logger: Logger

    init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        state = Mutex(Current(client: client, runner: Self.start(client)))
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

    /// Replaces `stale` with a new pool, unless that was done already.
    func replace(_ stale: PostgresClient) {
        let old = state.withLock { current -> Task<Void, Never>? in
            guard current.client === stale, !current.closed else { return nil }
            let old = current.runner
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            current.client = client
            current.runner = Self.start(client)
            return old
        }
        old?.cancel()
    }

    /// Closes every connection.
    func close() {
        state.withLock { current in
            current.closed = true
            current.runner.cancel()
        }
    }
}
