import ErrandPostgres
import ErrandStore
import Foundation
import Testing

/// A PostgreSQL for tests: the server `scripts/test` starts (or the one `ERRAND_TEST_POSTGRES_URL` names), with a
/// fresh schema per test so tests run in parallel without seeing each other.
enum PostgresFixture {
    static let url = ProcessInfo.processInfo.environment["ERRAND_TEST_POSTGRES_URL"]

    /// A store on a new schema, dropped afterwards. Without a server the test fails: never a silent skip.
    static func withFreshStore<T>(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (PostgresTaskStore) async throws -> T
    ) async throws -> T? {
        guard let url else {
            Issue.record(
                "ERRAND_TEST_POSTGRES_URL is not set; run scripts/test, which starts a throw-away PostgreSQL",
                sourceLocation: sourceLocation
            )
            return nil
        }
        var configuration = try PostgresConfiguration(url: url)
        configuration.schema = "errand_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        configuration.poolSize = 4
        let store = try await PostgresTaskStore(configuration: configuration)
        defer { store.close() }
        return try await store.withRunning {
            do {
                let result = try await body(store)
                try await store.dropSchema()
                return result
            } catch {
                try? await store.dropSchema()
                throw error
            }
        }
    }
}
