import Foundation
import PostgresNIO

/// A direct client on a test PostgreSQL, for checking tables behind the `errand` binary's back.
struct TestDatabase: Sendable {
    let client: PostgresClient

    struct BadURL: Error, CustomStringConvertible {
        let url: String
        var description: String { "not a postgres:// URL: \(url)" }
    }

    /// Connects to the database `url` names (its query parameters, such as `schema`, are ignored) for `body`.
    static func with<T>(url: String, _ body: (TestDatabase) async throws -> T) async throws -> T {
        guard let components = URLComponents(string: url) else { throw BadURL(url: url) }
        let client = PostgresClient(
            configuration: .init(
                host: components.host ?? "127.0.0.1",
                port: components.port ?? 5432,
                username: components.user ?? "errand",
                password: components.password,
                database: String(components.path.dropFirst()),
                tls: .disable
            )
        )
        let running = Task { await client.run() }
        defer { running.cancel() }
        return try await body(TestDatabase(client: client))
    }

    /// The single integer a `SELECT count(*) …` returns.
    func count(_ sql: String) async throws -> Int {
        var value = -1
        for try await (count, ) in try await client.query(PostgresQuery(unsafeSQL: sql)).decode((Int.self)) { value = count }
        return value
    }

    /// The integers of a one-column query, in order.
    func integers(_ sql: String) async throws -> [Int] {
        var values: [Int] = []
        for try await (value, ) in try await client.query(PostgresQuery(unsafeSQL: sql)).decode((Int.self)) { values.append(value) }
        return values
    }

    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql))
    }
}
