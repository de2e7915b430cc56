import ErrandCore
import ErrandStore
import Foundation
import NIOSSL
public import PostgresNIO

/// Where and how a ``PostgresTaskStore`` connects.
public struct PostgresConfiguration: Sendable {
    /// One server the store may connect to.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int = 5432) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Which of several servers the store takes: libpq's `target_session_attrs`.
    public enum SessionTarget: String, Sendable, CaseIterable {
        /// The first server that accepts a connection.
        case any
        /// The first server whose sessions are not read-only (`SHOW transaction_read_only` is `off`).
        case readWrite = "read-write"
        /// The first server that is not in recovery (`pg_is_in_recovery()` is false): not a standby.
        case primary
    }

    /// The servers to try, in order: one, or a primary and its standbys (`postgres://h1,h2/db`).
    public var endpoints: [Endpoint]
    /// Which server of ``endpoints`` the store uses, and what makes it leave one for another.
    public var target: SessionTarget
    public var username: String
    public var password: String?
    public var database: String?
    /// Schema holding Errand's tables (default `errand`); several Errand deployments can share a database.
    public var schema: String
    /// Most connections the pool opens.
    public var poolSize: Int
    /// Whether to use TLS (`sslmode=require` in the URL).
    public var requireTLS: Bool
    /// Seconds between polls for work when no notification arrives (the backstop).
    public var pollInterval: Double
    /// Never LISTEN; poll only. For PgBouncer in transaction pooling, where LISTEN does not work.
    public var pollOnly: Bool
    /// Seconds one store operation may take before the store gives up on its connections and opens new ones.
    public var operationTimeout: Double

    /// A configuration over one server or several: the store uses the first of `endpoints` that `target` accepts,
    /// and looks again, in the same order, when that one fails or turns read-only.
    /// - Precondition: `endpoints` is not empty.
    public init(
        endpoints: [Endpoint] = [Endpoint(host: "127.0.0.1")],
        target: SessionTarget = .any,
        username: String,
        password: String? = nil,
        database: String? = nil,
        schema: String = "errand",
        poolSize: Int = 10,
        requireTLS: Bool = false,
        pollInterval: Double = 1,
        pollOnly: Bool = false,
        operationTimeout: Double = 10
    ) {
        precondition(!endpoints.isEmpty, "a PostgreSQL configuration needs a server")
        self.endpoints = endpoints
        self.target = target
        self.username = username
        self.password = password
        self.database = database
        self.schema = schema
        self.poolSize = poolSize
        self.requireTLS = requireTLS
        self.pollInterval = pollInterval
        self.pollOnly = pollOnly
        self.operationTimeout = operationTimeout
    }

    /// Reads `postgres://user:password@host:port/database?schema=errand&pool_size=10&sslmode=require&poll_only=true`
    /// (also `poll_interval` and `operation_timeout`, in seconds). Several servers are written as libpq writes them,
    /// `postgres://user@h1:5432,h2:5432/database?target_session_attrs=read-write`; with several, the target is
    /// `read-write` unless the URL says otherwise (libpq's default, `any`, suits readers, and Errand writes).
    /// - Throws: ``StoreError`` `.invalid` naming what is wrong with the URL.
    public init(url: String) throws {
        let parsed = try PostgresURL(url)
        let components = parsed.components
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.invalid, "store URL \"\(Self.redacted(url))\" names no user (postgres://USER@host/db)")
        }
        self.init(
            endpoints: parsed.endpoints,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: components.path.count > 1 ? String(components.path.dropFirst()) : nil
        )
        // Errand writes to its store: over several servers, libpq's default (`any`) would stay on a demoted primary.
        if endpoints.count > 1 { target = .readWrite }
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "schema": schema = value
            case "pool_size":
                guard let size = Int(value), size >= 1 else {
                    throw StoreError(.invalid, "store URL: pool_size must be an integer >= 1, got \"\(value)\"")
                }
                poolSize = size
            case "sslmode": requireTLS = value == "require" || value == "verify-full" || value == "verify-ca"
            case "poll_interval", "operation_timeout":
                guard let seconds = Double(value), (try? InvalidField.seconds(seconds, item.name)) != nil else {
                    throw StoreError(.invalid, "store URL: \(item.name) must be a number of seconds > 0, got \"\(value)\"")
                }
                if item.name == "poll_interval" { pollInterval = seconds } else { operationTimeout = seconds }
            case "poll_only": pollOnly = value == "true" || value == "1"
            case "target_session_attrs":
                guard let chosen = SessionTarget(rawValue: value) else {
                    let known = SessionTarget.allCases.map(\.rawValue).joined(separator: ", ")
                    throw StoreError(
                        .invalid,
                        "store URL: target_session_attrs \"\(value)\" is not one Errand can use (it writes to its store); known: \(known)"
                    )
                }
                target = chosen
            default:
                throw StoreError(
                    .invalid,
                    "store URL: unknown parameter \"\(item.name)\"; known: schema, pool_size, sslmode, poll_interval, poll_only, operation_timeout, target_session_attrs"
                )
            }
        }
        try validate()
    }

    /// Refuses a schema name that is not a plain identifier (it is spliced into SQL).
    func validate() throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard !schema.isEmpty, schema.count <= 63, schema.allSatisfy(allowed.contains), !(schema.first?.isNumber ?? true) else {
            throw StoreError(.invalid, "schema \"\(schema)\" must be lowercase letters, digits and _, starting with a letter")
        }
    }

    /// The URL with its password hidden, for messages and logs.
    public static func redacted(_ url: String) -> String { PostgresURL.redacted(url) }

    /// The driver configuration, for programs that open their own `PostgresClient` on the same database (on the
    /// first server; a store follows the server it chose, see ``PostgresTaskStore/endpoint``).
    public var clientConfiguration: PostgresClient.Configuration { clientConfiguration(endpoints[0]) }

    /// The driver configuration of a pool on `endpoint`.
    func clientConfiguration(_ endpoint: Endpoint) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: endpoint.host,
            port: endpoint.port,
            username: username,
            password: password,
            database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// The configuration of one connection outside the pool: the store's first connection, which runs the migrations
    /// and reports a precise error when the server cannot be reached.
    func connectionConfiguration(_ endpoint: Endpoint) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host,
            port: endpoint.port,
            username: username,
            password: password,
            database: database,
            tls: requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// `user@host:port/database`, for messages.
    var display: String { "\(username)@\(endpoints.map(\.description).joined(separator: ","))/\(database ?? username)" }
}
