import ErrandTesting
import Foundation
import Testing

/// A PostgreSQL store that cannot be used is reported at once, with the reason, and exit status 3.
@Suite(.timeLimit(.minutes(5))) struct PostgresConnectionErrorTests {
    struct NoServer: Error, CustomStringConvertible {
        var description: String { "ERRAND_TEST_POSTGRES_URL is not set; run scripts/test, which starts a throw-away PostgreSQL" }
    }

    /// The test server's URL; without one the test fails.
    static func serverURL() throws -> URLComponents {
        guard let url = ProcessInfo.processInfo.environment["ERRAND_TEST_POSTGRES_URL"], let components = URLComponents(string: url) else {
            throw NoServer()
        }
        return components
    }

    /// The test server's URL with some parts replaced.
    static func url(_ change: (inout URLComponents) -> Void) throws -> String {
        var components = try serverURL()
        change(&components)
        return try #require(components.string)
    }

    static func refused(_ storeURL: String, saying message: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let started = Date()
        try await TemporaryDirectory.with { directory in
            let result = try await ErrandBinary(directory: directory, postgresURL: storeURL).run(["task", "list"])
            #expect(result.status == 3, "status \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.hasPrefix("errand: error: "), sourceLocation: sourceLocation)
            #expect(result.stderr.contains(message), "stderr was: \(result.stderr)", sourceLocation: sourceLocation)
            #expect(
                !result.stderr.contains("errand:errand@") && !result.stderr.contains(":wrong@"),
                "a password leaked",
                sourceLocation: sourceLocation
            )
        }
        #expect(Date().timeIntervalSince(started) < 15, "the error took too long to come", sourceLocation: sourceLocation)
    }

    @Test func anUnreachableServer() async throws {
        try await Self.refused(try Self.url { $0.port = ThrowawayPostgres.freePort() }, saying: "cannot reach PostgreSQL at errand@127.0.0.1:")
        try await Self.refused(try Self.url { $0.port = ThrowawayPostgres.freePort() }, saying: "connection refused")
    }

    @Test func aWrongPassword() async throws {
        try await Self.refused(try Self.url { $0.password = "wrong" }, saying: "refused the credentials")
    }

    @Test func anUnknownDatabase() async throws {
        try await Self.refused(try Self.url { $0.path = "/no_such_database" }, saying: "database \"no_such_database\" does not exist")
    }

    @Test func aSchemaNewerThanTheBinary() async throws {
        let schema = "errand_newer_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8)
        let storeURL = try Self.url { $0.queryItems = [URLQueryItem(name: "schema", value: schema)] }
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory, postgresURL: storeURL)
            _ = try await errand.ok(["migrate"])
            _ = try await errand.ok(["task", "add", "--handler", "errand.echo"])
        }
        try await TestDatabase.with(url: try #require(Self.serverURL().string)) { database in
            try await database.execute("INSERT INTO \(schema).migration (version, applied_at) VALUES (999, now())")
            try await Self.refused(storeURL, saying: "schema \(schema) is at version 999, newer than this errand understands")
            try await Self.refused(storeURL, saying: "upgrade errand")
            // Nothing was touched: the task is still there.
            #expect(try await database.count("SELECT count(*) FROM \(schema).task") == 1)
            try await database.execute("DROP SCHEMA \(schema) CASCADE")
        }
    }
}
