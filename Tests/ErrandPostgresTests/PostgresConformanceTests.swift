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
