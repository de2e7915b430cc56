import ErrandStore
import Logging
import PostgresNIO
import _ConnectionPoolModule

/// Finding, among a configuration's servers, the one its ``PostgresConfiguration/SessionTarget`` accepts: at start,
/// and again when the server in use fails (libpq's `target_session_attrs`, applied for the life of the store rather
/// than once per connection).
extension PostgresConfiguration {
    /// A server that answered but is not one ``target`` takes.
    struct ServerRefused: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `endpoint` and checks that ``target`` accepts it.
    /// - Returns: the open connection; the caller closes it.
    /// - Throws: the driver's error, or ``ServerRefused`` saying why the server is not the one wanted.
    func connect(
        to endpoint: Endpoint,
        connectTimeout: Duration? = nil,
        logger: Logger
    ) async throws -> PostgresConnection {
        var configuration = try connectionConfiguration(endpoint)
        if let connectTimeout { configuration.options.connectTimeout = .init(connectTimeout) }
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            switch target {
            case .any:
                break
            case .readWrite:
                for try await value in try await connection.query("SHOW transaction_read_only", logger: logger).decode(String.self)
                where value != "off" {
                    throw ServerRefused(description: "its sessions are read-only (a standby, or default_transaction_read_only)")
                }
            case .primary:
                for try await recovering in try await connection.query("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self)
                where recovering {
                    throw ServerRefused(description: "it is in recovery (a standby)")
                }
            }
            return connection
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Tries every server at once; the first of ``endpoints`` that ``target`` accepts wins.
    /// - Returns: its index, or why each server was not taken.
    func firstAccepted(connectTimeout: Duration, logger: Logger) async -> Result<Int, ServerRefused> {
        let outcomes = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, endpoint) in endpoints.enumerated() {
                group.addTask {
                    do {
                        let connection = try await connect(to: endpoint, connectTimeout: connectTimeout, logger: logger)
                        try? await connection.close()
                        return (index, nil)
                    } catch {
                        return (index, reason(error, endpoint: endpoint))
                    }
                }
            }
            var outcomes = [String?](repeating: nil, count: endpoints.count)
            for await (index, reason) in group { outcomes[index] = reason }
            return outcomes
        }
        if let index = outcomes.firstIndex(where: { $0 == nil }) { return .success(index) }
        return .failure(refusedByAll(outcomes.compactMap { $0 }))
    }

    /// Why `endpoint` could not be used, in an operator's words.
    func reason(_ error: any Error, endpoint: Endpoint) -> String {
        if let refused = error as? ServerRefused { return "\(endpoint): \(refused)" }
        var one = self
        one.endpoints = [endpoint]
        return PostgresTaskStore.storeError(error, configuration: one).message
    }

    /// The error when no server of several is usable, naming each one's reason.
    func refusedByAll(_ reasons: [String]) -> ServerRefused {
        ServerRefused(
            description: "no PostgreSQL server of \(display) is usable (target_session_attrs=\(target.rawValue)): "
                + reasons.joined(separator: "; ")
        )
    }
}

extension PostgresTaskStore {
    /// Whether `error` says the server in use is gone, restarting, or no longer takes writes: the signs that make a
    /// store with several servers look for another.
    static func meansServerLost(_ error: any Error, target: PostgresConfiguration.SessionTarget) -> Bool {
        if let transaction = error as? PostgresTransactionError {
            guard let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError else { return false }
            return meansServerLost(inner, target: target)
        }
        if let error = error as? ConnectionPoolError { return error == .connectionCreationCircuitBreakerTripped }
        guard let error = error as? PSQLError else { return false }
        if error.code == .connectionError || error.code == .serverClosedConnection || error.code == .uncleanShutdown {
            return true
        }
        guard let state = error.serverInfo?[.sqlState] else { return false }
        // 25006 read_only_sql_transaction: a demoted primary; 57P01–57P03: shutting down, crashed, starting up;
        // class 08: connection exceptions.
        if state == "25006" { return target != .any }
        return ["57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08")
    }
}
