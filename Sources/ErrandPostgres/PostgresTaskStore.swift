import ErrandCore
public import ErrandStore
import Foundation
public import Logging
import PostgresNIO
public import ServiceLifecycle
import Synchronization
import _ConnectionPoolModule

/// The ``TaskStore`` for many nodes: every `errand serve` and `errand worker` points at one PostgreSQL.
///
/// Claims take due tasks with `FOR UPDATE SKIP LOCKED`, so any number of dispatchers claim disjoint sets; batches of
/// finishes are written with one `UPDATE … FROM json_to_recordset(…)` per flush; enqueues insert a whole batch with
/// one `INSERT … SELECT FROM unnest(…)` and let a partial unique index settle idempotency keys. Every state change is
/// still decided by ``TaskTransition``: rows are read, the transition runs here, and the result is written back
/// guarded by the row version it was computed from (or under row locks when that version moved on).
///
/// Its background work — the connection pool, `LISTEN` for other nodes' wake-ups, the poll that backs it up, and the
/// trailing `NOTIFY`s — runs in ``run()``: run the store as a `Service` in the `ServiceGroup` (before the node, so
/// that it stops after it), or around a piece of work with `withRunning(_:)`. Until it runs, operations wait (and
/// fail after `operation_timeout`, saying so). ``close()`` ends it.
public final class PostgresTaskStore: TaskStore, Service {
    public let configuration: PostgresConfiguration
    let pool: ReplaceableClient
    /// The connection pool operations use now.
    var client: PostgresClient { pool.client }
    let logger: Logger
    let changeSignal = ChangeSignal()
    /// Finished by the first ``changes()``: only then does ``run()`` listen and poll.
    private let changesWanted: (stream: AsyncStream<Never>, continuation: AsyncStream<Never>.Continuation)
    private let changesAsked = Atomic<Bool>(false)
    /// Whether ``run()`` was called: until it is, operations wait.
    private let running = Atomic<Bool>(false)
    /// Tasks this store claimed, as claimed, so that their finishes need not read them again.
    let claims = ClaimCache()
    /// Debounced `NOTIFY`s to other nodes.
    let wakeUps: WakeUpSender
    /// `schema.` prefix for table names.
    let s: String

    /// Connects, and migrates the schema to this binary's version.
    /// - Throws: ``StoreError`` `.unavailable` when the server cannot be reached, refuses the credentials, or holds a
    ///   schema newer than this binary.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "errand.postgres")) async throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.s = configuration.schema
        changesWanted = AsyncStream.makeStream()
        // One connection of its own first: it migrates, and fails fast with the server's own reason (the pool
        // would retry for a minute and report only that it gave up). With several servers, the first one the session
        // target accepts.
        let (connection, index) = try await Self.connectFirst(configuration, logger: logger)
        do {
            try await PostgresSchema.migrate(connection, schema: configuration.schema, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw Self.storeError(error, configuration: configuration)
        }
        // The pool logs every failed connection attempt; this store reports what matters itself.
        var poolLogger = logger
        poolLogger.logLevel = ProcessInfo.processInfo.environment["ERRAND_DEBUG_POOL"] != nil ? .debug : max(logger.logLevel, .error)
        let pool = ReplaceableClient(configuration: configuration, endpoint: index, logger: logger, poolLogger: poolLogger)
        self.pool = pool
        let channel = "\(configuration.schema)_wakeup"
        let timeout = configuration.operationTimeout
        wakeUps = WakeUpSender(window: .milliseconds(2)) { keys in
            let client = pool.client
            do {
                // Under the same deadline as every operation: finishes and enqueues wait for this send, and a query on
                // a connection the server has just closed can wait forever (this once stalled every finish of a node
                // after a server restart, until its leases expired).
                try await withDeadline(timeout) {
                    // Read to the end: the pool takes its connection back only when the rows are consumed.
                    for try await _ in try await client.query(Self.notifyQuery(channel: channel, keys: keys), logger: logger) {}
                }
            } catch is OperationTimedOut {
                logger.warning("NOTIFY did not answer within \(timeout) s; opening new connections")
                pool.replace(client)
                pool.failOver(from: pool.client)
            } catch {
                // The other nodes' slow poll finds the work; this node was woken directly.
                logger.debug("NOTIFY failed", metadata: ["errand.error": "\(error)"])
                if Self.meansServerLost(error, target: configuration.target) { pool.failOver(from: client) }
            }
        }
    }

    /// The first server of `configuration` that its session target accepts, connected, and its index.
    /// - Throws: ``StoreError`` `.unavailable`: the server's own reason with one server, each one's with several.
    private static func connectFirst(_ configuration: PostgresConfiguration, logger: Logger) async throws -> (PostgresConnection, Int) {
        var reasons: [String] = []
        for (index, endpoint) in configuration.endpoints.enumerated() {
            do {
                return (try await configuration.connect(to: endpoint, logger: logger), index)
            } catch {
                if configuration.endpoints.count == 1, !(error is PostgresConfiguration.ServerRefused) {
                    throw storeError(error, configuration: configuration)
                }
                reasons.append(configuration.reason(error, endpoint: endpoint))
            }
        }
        throw StoreError(.unavailable, configuration.refusedByAll(reasons).description)
    }

    /// The server this store uses now: the first of ``PostgresConfiguration/endpoints`` its session target accepted.
    public var endpoint: PostgresConfiguration.Endpoint { pool.endpoint }

    /// Opens a store from a `postgres://` URL (see ``PostgresConfiguration/init(url:)``).
    public convenience init(url: String, logger: Logger = Logger(label: "errand.postgres")) async throws {
        try await self.init(configuration: PostgresConfiguration(url: url), logger: logger)
    }

    /// Deletes the schema and everything Errand stored in it. For tests and for uninstalling; there is no undo.
    public func dropSchema() async throws {
        _ = try await rows(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(s) CASCADE"))
    }

    /// Runs the store's background work until cancelled, shut down gracefully, or ``close()``d: the connection
    /// pool (and the pools that replace it), the trailing wake-ups to other nodes, and, once ``changes()`` was asked
    /// for, `LISTEN` and the poll. Call it once.
    /// - Throws: ``StoreError`` `.invalid` when it already runs.
    public func run() async throws {
        guard !running.exchange(true, ordering: .relaxed) else {
            throw StoreError(.invalid, "this PostgreSQL store runs already: call its run() once")
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.wakeUps.run() }
                group.addTask {
                    for await _ in self.changesWanted.stream {}
                    guard !Task.isCancelled else { return }
                    await withDiscardingTaskGroup { changes in
                        changes.addTask { await self.poll() }
                        if !self.configuration.pollOnly { changes.addTask { await self.listen() } }
                    }
                }
                await self.pool.run()
                group.cancelAll()
            }
        }
    }

    /// Stops ``run()`` and closes every connection.
    public func close() {
        pool.close()
    }

    deinit {
        pool.close()
    }

    /// Turns a driver error into a ``StoreError`` an operator can act on.
    static func storeError(_ error: any Error, configuration: PostgresConfiguration) -> StoreError {
        if let error = error as? StoreError { return error }
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError {
                return storeError(inner, configuration: configuration)
            }
        }
        if let error = error as? PSQLError {
            if let server = error.serverInfo, let message = server[.message] {
                let code = server[.sqlState] ?? ""
                if code == "28P01" || code == "28000" {
                    return StoreError(.unavailable, "PostgreSQL \(configuration.display) refused the credentials: \(message)")
                }
                if code == "3D000" { return StoreError(.unavailable, "PostgreSQL \(configuration.display): \(message)") }
                if code == "23503" { return StoreError(.invalid, message) }
                return StoreError(.unavailable, "PostgreSQL \(configuration.display): \(message) (SQLSTATE \(code))")
            }
            if error.code == .connectionError || error.code == .serverClosedConnection || error.code == .clientClosedConnection {
                // A PSQLError underneath describes itself as "Generic description …"; its code says what happened.
                var reason = error.underlying.map { ($0 as? PSQLError).map { "\($0.code)" } ?? "\($0)" } ?? "\(error.code)"
                if reason.contains("Connection refused") { reason = "connection refused (is PostgreSQL running and listening there?)" }
                return StoreError(.unavailable, "cannot reach PostgreSQL at \(configuration.display): \(reason)")
            }
            return StoreError(.unavailable, "PostgreSQL \(configuration.display): \(error.code)")
        }
        if let error = error as? ConnectionPoolError, error == .connectionCreationCircuitBreakerTripped {
            return StoreError(
                .unavailable,
                "cannot reach PostgreSQL at \(configuration.display): no connection could be made for a while (is it running?)"
            )
        }
        if error is ConnectionPoolError { return StoreError(.unavailable, "PostgreSQL \(configuration.display): the connection pool is closed") }
        return StoreError(.unavailable, "PostgreSQL \(configuration.display): \(error)")
    }

    /// Runs `body` with errors mapped to ``StoreError``, giving up after `operation_timeout` seconds. A timeout
    /// replaces the connection pool: the server may have dropped the connection `body` was waiting on.
    func perform<T: Sendable>(timeout: Double? = nil, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = self.client
        let timeout = timeout ?? configuration.operationTimeout
        do {
            return try await withDeadline(timeout) { try await body(client) }
        } catch is OperationTimedOut {
            guard running.load(ordering: .relaxed) else {
                throw StoreError(
                    .unavailable,
                    "the PostgreSQL store is not running: call its run() (in a ServiceGroup, or with withRunning) before using it"
                )
            }
            logger.warning("PostgreSQL did not answer within \(timeout) s; opening new connections")
            pool.replace(client)
            pool.failOver(from: pool.client)
            throw StoreError(.unavailable, "PostgreSQL \(configuration.display) did not answer within \(timeout) s")
        } catch {
            if Self.meansServerLost(error, target: configuration.target) { pool.failOver(from: client) }
            throw Self.storeError(error, configuration: configuration)
        }
    }

    /// Runs `body` in one transaction on a pooled connection, with errors mapped to ``StoreError``.
    func transaction<T: Sendable>(
        timeout: Double? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await perform(timeout: timeout) { client in
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// Runs one statement and collects its rows: on `connection` (inside a transaction, whose deadline covers it),
    /// or on a pooled connection under its own deadline.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [PostgresRow] {
        let logger = self.logger
        if let connection {
            do {
                return try await Self.collect(try await connection.query(query, logger: logger))
            } catch {
                throw Self.storeError(error, configuration: configuration)
            }
        }
        return try await perform { client in try await Self.collect(try await client.query(query, logger: logger)) }
    }

    private static func collect(_ sequence: PostgresRowSequence) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in sequence { rows.append(row) }
        return rows
    }

    // MARK: changes

    /// One `NOTIFY` on `channel` per key.
    static func notifyQuery(channel: String, keys: [String]) -> PostgresQuery {
        "SELECT pg_notify(\(channel), key) FROM unnest(\(keys)::text[]) AS key"
    }

    /// Signals on every change this process makes, on every `NOTIFY` from other nodes (unless `poll_only`), and
    /// every `poll_interval` seconds, the backstop that finds work when no notification arrives.
    public func changes() -> ChangeSignal {
        if !changesAsked.load(ordering: .relaxed), !changesAsked.exchange(true, ordering: .relaxed) {
            changesWanted.continuation.finish()
        }
        return changeSignal
    }

    /// The channel wake-ups are sent on; the payload is the queue name, or empty for "a task finished".
    var channel: String { "\(s)_wakeup" }

    /// Signals every `poll_interval` seconds, until cancelled.
    private func poll() async {
        let interval = Duration.milliseconds(Int(configuration.pollInterval * 1000))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            changeSignal.notify()
        }
    }

    /// Listens for wake-ups on a connection of its own, reconnecting after any failure, until cancelled.
    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            let client = pool.client
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: self.channel) { notifications in
                        failures = 0
                        // A change may have happened while no one listened.
                        self.changeSignal.notify()
                        for try await _ in notifications { self.changeSignal.notify() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                if Self.meansServerLost(error, target: configuration.target) { pool.failOver(from: client) }
                // PSQLError's own description hides the reason ("Generic description"); the store's mapping names it.
                let reason = Self.storeError(error, configuration: configuration).message
                logger.warning("LISTEN \(channel) failed; reconnecting", metadata: ["errand.error": "\(reason)"])
                try? await Task.sleep(for: .milliseconds(min(2000, 100 * failures)))
            }
        }
    }
}
