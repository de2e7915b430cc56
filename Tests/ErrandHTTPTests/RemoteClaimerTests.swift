import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// Programs that claim over HTTP are workers in the registry, so their tasks are not counted `unknown task`.
@Suite(.timeLimit(.minutes(5))) struct RemoteClaimerTests {
    static func unknown(_ server: TestServer, _ id: String) async throws -> Bool? {
        try await server.send("GET", "/v1/tasks/\(id)").object["unknown_task"] as? Bool
    }

    static func workers(_ server: TestServer) async throws -> [[String: Any]] {
        try await server.send("GET", "/v1/workers").object["workers"] as? [[String: Any]] ?? []
    }

    static func add(_ server: TestServer, _ handler: String) async throws -> String {
        let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "\#(handler)"}"#)
        return try #require(created.object["id"] as? String, "\(created.text)")
    }

    @Test func aClaimerIsAWorkerWhileItClaimsOrHeartbeatsAndWidensAsItClaimsMore() async throws {
        let time = ManualTimeSource()
        try await TestServer.with(time: time, longestWait: 1) { server in
            let first = try await Self.add(server, "py.count")
            let second = try await Self.add(server, "py.count")
            let other = try await Self.add(server, "py.other")
            let otherAgain = try await Self.add(server, "py.other")
            #expect(try await Self.unknown(server, second) == true, "nobody takes it yet")

            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "py-7", "handlers": ["py.count"], "tags": ["gpu"]}"#)
            let claimed = try #require((claim.object["tasks"] as? [[String: Any]])?.first)
            #expect(claimed["id"] as? String == first)
            #expect(try await Self.unknown(server, second) == false, "py-7 takes py.count")
            #expect(try await Self.unknown(server, other) == true, "py-7 does not take py.other")
            let worker = try #require(try await Self.workers(server).first { $0["name"] as? String == "py-7" })
            #expect(worker["state"] as? String == "running" && worker["lease_name"] as? String == "py-7")
            let spec = worker["spec"] as? [String: Any]
            #expect(spec?["remote"] as? Bool == true && spec?["handlers"] as? [String] == ["py.count"] && spec?["tags"] as? [String] == ["gpu"])
            let statistics = try await server.send("GET", "/v1/statistics")
            #expect((statistics.object["statuses"] as? [String: Any])?["unknown task"] as? Int == 2, "\(statistics.text)")

            // Claiming another handler widens it: a new record with both, the old one ended.
            let more = try await server.send("POST", "/v1/claims", json: #"{"worker": "py-7", "handlers": ["py.other"]}"#)
            #expect((more.object["tasks"] as? [[String: Any]])?.first?["id"] as? String == other)
            #expect(try await Self.unknown(server, otherAgain) == false)
            let records = try await Self.workers(server).filter { $0["name"] as? String == "py-7" }
            #expect(records.compactMap { $0["state"] as? String }.sorted() == ["running", "succeeded"])
            let widened = records.first { $0["state"] as? String == "running" }?["spec"] as? [String: Any]
            #expect(widened?["handlers"] as? [String] == ["py.count", "py.other"])

            // Heartbeats of its task keep it live past the longest wait and a minute; silence does not.
            let lease = #"{"worker": "py-7", "attempt": \#(claimed["attempt"] as? Int ?? 0)}"#
            for _ in 0..<4 {
                time.advance(by: 30)
                #expect(try await server.send("POST", "/v1/tasks/\(first)/heartbeat", json: lease).status == 200)
            }
            #expect(try await Self.unknown(server, second) == false, "heard from 120 s after its last claim")
            time.advance(by: 62)
            #expect(try await Self.unknown(server, second) == true, "silent past its expiry")
        }
    }
}
