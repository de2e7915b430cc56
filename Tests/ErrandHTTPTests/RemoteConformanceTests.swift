import Errand
import ErrandHTTP
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// `RemoteTaskStore` against a live server on a real port: every check a ``ClientStore`` runs, the server sharing the
/// check's manual clock. One server at a time: forty servers at once, each with its connections, hold enough file
/// descriptors to crash `Foundation.Process.run()` in tests that spawn the CLI beside them.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RemoteConformanceTests {
    @Test func theClientChecksAreMostOfTheSuite() {
        #expect(StoreCheck.clientChecks.count > StoreCheck.all.count / 2)
    }

    @Test(arguments: StoreCheck.clientChecks)
    func remoteStoreConforms(_ check: StoreCheck) async throws {
        let time = ManualTimeSource()
        // The definitions the checks switch: a server switches only those it knows.
        let definitions = ["nightly", "hourly", "never-disabled"].map { TaskDefinition(name: $0, kind: .singleShot, handler: "h") }
        try await TestServer.with(time: time, definitions: definitions) { server in
            let store = try RemoteTaskStore(url: server.baseURL, token: TestServer.adminToken)
            try await check.run(onClient: store, time: time)
        }
    }
}
