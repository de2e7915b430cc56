import ErrandPostgres
import ErrandTesting
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct PostgresConformanceTests {
    @Test(arguments: StoreCheck.all)
    func postgresStoreConforms(_ check: StoreCheck) async throws {
        try await PostgresFixture.withFreshStore { store in
            try await check.run(on: store, time: ManualTimeSource())
        }
    }
}

/// Capability routing with real dispatchers on PostgreSQL (the scenario is shared with SQLite's tests).
@Suite(.timeLimit(.minutes(5))) struct PostgresRoutingTests {
    @Test func tasksThatRequireTagsRunOnlyOnNodesThatHaveThem() async throws {
        _ = try await PostgresFixture.withFreshStore { store in try await RoutingScenario.run(on: store) }
    }
}
