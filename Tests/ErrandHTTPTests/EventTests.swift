import Errand
import ErrandCore
import ErrandStore
import Foundation
import Testing

/// `/v1/events` and the library's `stateChanges`: every transition, in order, resumable.
@Suite struct EventTests {
    /// The events of a server-sent-events body: (id, event, data as an object).
    static func events(_ text: String) -> [(id: String, event: String, data: [String: Any])] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id = ""
            var event = ""
            var data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard !data.isEmpty, let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] else { return nil }
            return (id, event, object)
        }
    }

    static func transitions(_ text: String) -> [String] {
        events(text).map { "\($0.data["from"] as? String ?? "new")>\($0.data["to"] as? String ?? "?")" }
    }

    @Test func aStreamResumedAfterAnEventIdReplaysEveryTransitionInOrder() async throws {
        try await TestServer.with(longestWait: 1) { server in
            let cursor = try await server.client.store.stateChangeHead()
            let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "remote.work"}"#)
            let id = try #require(created.object["id"] as? String)
            _ = try await server.send("POST", "/v1/tasks", json: #"{"handler": "other.work"}"#)
            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "w", "handlers": ["remote.work"]}"#)
            let attempt = (claim.object["tasks"] as? [[String: Any]])?.first?["attempt"] as? Int ?? 0
            let done = try await server.send("POST", "/v1/tasks/\(id)/complete", json: #"{"worker": "w", "attempt": \#(attempt)}"#)
            #expect(done.status == 200)

            let stream = try await server.send("GET", "/v1/events?task_id=\(id)&after=\(cursor)", token: TestServer.readToken)
            #expect(stream.status == 200)
            #expect(stream.header("Content-Type") == "text/event-stream")
            #expect(Self.transitions(stream.text) == ["new>pending", "pending>running", "running>completed"])
            let events = Self.events(stream.text)
            #expect(events.allSatisfy { $0.event == "transition" && $0.data["task_id"] as? String == id && $0.data["at"] is String })
            #expect(events.last?.data["attempt"] as? Int == 1)

            // Last-Event-ID resumes after that event, as EventSource sends it on reconnection.
            let resumed = try await server.send("GET", "/v1/events?task_id=\(id)", headers: ["Last-Event-ID": events[0].id])
            #expect(Self.transitions(resumed.text) == ["pending>running", "running>completed"])
            // Filters: another queue has none; all of the handler's queue has both tasks' creation.
            let none = try await server.send("GET", "/v1/events?queue=elsewhere&after=\(cursor)")
            #expect(Self.events(none.text).isEmpty)
            let all = try await server.send("GET", "/v1/events?after=\(cursor)")
            #expect(Self.transitions(all.text) == ["new>pending", "new>pending", "pending>running", "running>completed"])
        }
    }

    @Test func aLiveStreamDeliversChangesAsTheyHappen() async throws {
        try await TestServer.with(longestWait: 3) { server in
            async let stream = server.send("GET", "/v1/events?handler=live.work")
            try await Task.sleep(for: .milliseconds(500))
            let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "live.work"}"#)
            let answer = try await stream
            let events = Self.events(answer.text)
            #expect(events.map { $0.data["task_id"] as? String } == [created.object["id"] as? String])
            #expect(answer.text.hasPrefix("retry: 1000\n"))
        }
    }

    @Test func aMalformedEventIdIsRefusedBeforeTheStreamStarts() async throws {
        try await TestServer.with(longestWait: 1) { server in
            let malformed = try await server.send("GET", "/v1/events?after=abc")
            #expect(malformed.status == 400)
            let tooLong = try await server.send("GET", "/v1/events", headers: ["Last-Event-ID": "1234567890123456789"])
            #expect(tooLong.status == 400)
            #expect((tooLong.object["detail"] as? String)?.contains("Last-Event-ID") == true, "\(tooLong.text)")
            // PostgreSQL's shape is read by SQLite too (never skipping a change).
            let other = try await server.send("GET", "/v1/events", headers: ["Last-Event-ID": "12:0"])
            #expect(other.status == 200)
        }
    }

    @Test func theLibraryFollowsTheSameChangesAsAnAsyncSequence() async throws {
        try await TestServer.with { server in
            let client = server.client
            let task = try await client.enqueue(NewTask(handler: "lib.work")).task
            let changes = client.stateChanges(after: nil, matching: StateChangeFilter(taskID: task.id))
            // From now on: the creation came before, so only the cancellation is seen.
            async let seen: [String] = {
                var seen: [String] = []
                for try await change in changes {
                    seen.append("\(change.from?.rawValue ?? "new")>\(change.to.rawValue)")
                    if change.to.isFinal { break }
                }
                return seen
            }()
            try await Task.sleep(for: .milliseconds(300))
            _ = try await client.cancel(task.id)
            #expect(try await seen == ["pending>cancelled"])
        }
    }
}
