import ErrandSQLite
import ErrandTesting
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct SQLiteConformanceTests {
    @Test(arguments: StoreCheck.all)
    func sqliteStoreConforms(_ check: StoreCheck) async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("errand.db").path)
            try await check.run(on: store, time: ManualTimeSource())
        }
    }
}

/// Capability routing with real dispatchers on SQLite (the scenario is shared with PostgreSQL's tests).
@Suite(.timeLimit(.minutes(5))) struct SQLiteRoutingTests {
    @Test func tasksThatRequireTagsRunOnlyOnNodesThatHaveThem() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("routing.db").path)
            try await RoutingScenario.run(on: store)
        }
    }
}
