import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// `/metrics`' gauges follow the store: a queue that is gone leaves no gauge behind.
@Suite(.timeLimit(.minutes(5))) struct MetricsTests {
    @Test func aDeletedQueuesGaugesGoAtTheNextScrape() async throws {
        try await TestServer.with { server in
            #expect(try await server.send("POST", "/v1/queues", json: #"{"name": "short-lived"}"#).status == 201)
            _ = try await server.send("POST", "/v1/tasks", json: #"{"handler": "h", "queue": "short-lived"}"#)
            let before = try await server.send("GET", "/metrics", token: TestServer.readToken).text
            #expect(before.contains(#"errand_queue_tasks{queue="short-lived",state="pending"} 1"#), "\(before)")
            #expect(before.contains(#"errand_queue_suspended{queue="short-lived"} 0"#))
            #expect(try await server.send("DELETE", "/v1/queues/short-lived").status == 200)
            let after = try await server.send("GET", "/metrics", token: TestServer.readToken).text
            #expect(!after.contains("short-lived"), "\(after)")
            #expect(after.contains(#"errand_queue_tasks{queue="default",state="pending"} 0"#), "the other queues stay")
        }
    }
}
