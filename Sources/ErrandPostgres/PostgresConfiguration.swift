import ErrandCore
import ErrandStore
import Foundation
import NIOSSL
import PostgresNIO

/// Where and how a ``PostgresTaskStore`` connects.
public struct PostgresConfiguration: Sendable {
    public var host: String
    public var port: Int
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

    public init(
        host: String = "127.0.0.1",
        port: Int = 5432,
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
        self.host = host
        self.port = port
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
    /// (also `poll_interval` and `operation_timeout`, in seconds).
    /// - Throws: ``StoreError`` `.invalid` naming what is wrong with the URL.
    public init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw StoreError(.invalid, "store URL \"\(Self.redacted(url))\" is not a postgres:// URL")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.invalid, "store URL \"\(Self.redacted(url))\" names no user (postgres://USER@host/db)")
        }
        self.init(
            host: components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1",
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: components.path.count > 1 ? String(components.path.dropFirst()) : nil
        )
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
            case "poll_interval":
                guard let seconds = Double(value), seconds > 0 else {
                    throw StoreError(.invalid, "store URL: poll_interval must be a number of seconds > 0, got \"\(value)\"")
                }
                pollInterval = seconds
            case "poll_only": pollOnly = value == "true" || value == "1"
            case "operation_timeout":
                guard let seconds = Double(value), seconds > 0 else {
                    throw StoreError(.invalid, "store URL: operation_timeout must be a number of seconds > 0, got \"\(value)\"")
                }
                operationTimeout = seconds
            default:
                throw StoreError(
                    .invalid,
                    "store URL: unknown parameter \"\(item.name)\"; known: schema, pool_size, sslmode, poll_interval, poll_only, operation_timeout"
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
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    /// The driver configuration, for programs that open their own `PostgresClient` on the same database.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
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
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// `user@host:port/database`, for messages.
    var display: String { "\(username)@\(host):\(port)/\(database ?? username)" }
}
