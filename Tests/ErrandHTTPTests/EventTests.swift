import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// `/v1/events` and the library's `StateChanges`: every transition, in order, resumable.
@Suite(.timeLimit(.minutes(5))) struct EventTests {
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
            let cursor = try await server.store.stateChangeHead()
            let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "remote.work", "priority": 4}"#)
            let id = try #require(created.object["id"] as? String)
            _ = try await server.send("POST", "/v1/tasks", json: #"{"handler": "other.work"}"#)
            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "w", "handlers": ["remote.work"]}"#)
            let attempt = (claim.object["tasks"] as? [[String: Any]])?.first?["attempt"] as? Int ?? 0
            let done = try await server.send(
                "POST",
                "/v1/tasks/\(id)/complete",
                json: #"{"worker": "w", "attempt": \#(attempt), "result": {"n": 7}}"#
            )
            #expect(done.status == 200)

            let stream = try await server.send("GET", "/v1/events?task_id=\(id)&after=\(cursor)", token: TestServer.readToken)
            #expect(stream.status == 200)
            #expect(stream.header("Content-Type") == "text/event-stream")
            #expect(Self.transitions(stream.text) == ["new>pending", "pending>running", "running>completed"])
            let events = Self.events(stream.text)
            #expect(events.allSatisfy { $0.event == "transition" && $0.data["task_id"] as? String == id && $0.data["at"] is String })
            #expect(events.last?.data["attempt"] as? Int == 1)
            // Each carries the task (riaktq's events): priority, retries left, worker; the finish its outcome.
            #expect(events.map { $0.data["priority"] as? Int } == [4, 4, 4])
            #expect(events.map { $0.data["retries_left"] as? Int } == [3, 2, 2])
            #expect(events.map { $0.data["worker"] as? String } == [nil, "w", "w"])
            #expect(events.prefix(2).allSatisfy { $0.data["result"] == nil && $0.data["truncated"] == nil })
            #expect((events.last?.data["result"] as? [String: Any])?["n"] as? Int == 7)
            #expect(events.last?.data["truncated"] as? Bool == false)

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

    /// A stream opens with its starting point as an id without data: a client that reconnects before any event
    /// arrived resumes from there and misses nothing.
    @Test func theOpeningBlockCarriesTheStartingPoint() async throws {
        try await TestServer.with(longestWait: 0.2) { server in
            let opened = try await server.send("GET", "/v1/events")
            let opening = try #require(opened.text.components(separatedBy: "\n\n").first)
            let start = try #require(opening.split(separator: "\n").first { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }, "\(opening)")
            #expect(!opening.contains("data:") && Self.events(opened.text).isEmpty)
            // A task enqueued after the stream opened (and before any reconnection) is in the resumed stream.
            _ = try await server.send("POST", "/v1/tasks", json: #"{"handler": "later.work"}"#)
            let resumed = try await server.send("GET", "/v1/events", headers: ["Last-Event-ID": start])
            #expect(Self.transitions(resumed.text) == ["new>pending"])
        }
    }

    @Test func aLiveStreamDeliversChangesAsTheyHappen() async throws {
        try await TestServer.with { server in
            let client = HTTPTestClient(baseURL: server.baseURL, token: TestServer.readToken)
            // From a cursor taken now, so that the order in which the server sees the two requests does not matter;
            // the stream stays open (300 s), so the event can only come live.
            let cursor = try await server.store.stateChangeHead()
            async let stream = client.stream("/v1/events?handler=live.work&after=\(cursor)") { $0.contains("event: transition") }
            try await Task.sleep(for: .milliseconds(200))
            let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "live.work"}"#)
            let text = try await stream
            let events = Self.events(text)
            #expect(events.map { $0.data["task_id"] as? String } == [created.object["id"] as? String], "\(text)")
            #expect(text.hasPrefix("retry: 1000\n"))
        }
    }

    /// `coalesce=MS`: a window's changes are one summary (net count change per queue and state, the first 100 task
    /// ids), resumable from its id like any event.
    @Test func aCoalescedStreamSendsOneSummaryPerWindow() async throws {
        try await TestServer.with(longestWait: 1) { server in
            let cursor = try await server.store.stateChangeHead()
            let tasks = (0..<300).map { _ in #"{"handler": "drain.work", "queue": "default"}"# }.joined(separator: ",")
            #expect(try await server.send("POST", "/v1/tasks/batch", json: #"{"tasks": [\#(tasks)]}"#).status == 201)
            let stream = try await server.send("GET", "/v1/events?coalesce=100&after=\(cursor)", token: TestServer.readToken)
            let summaries = Self.events(stream.text)
            #expect(summaries.count == 1 && summaries.allSatisfy { $0.event == "summary" }, "\(stream.text.prefix(2000))")
            let first = try #require(summaries.first)
            #expect(first.data["changes"] as? Int == 300)
            #expect((first.data["queues"] as? [String: [String: Int]]) == ["default": ["pending": 300]])
            #expect((first.data["task_ids"] as? [String])?.count == 100 && first.data["more_tasks"] as? Bool == true)

            // After the summary's id: one claim moves one task from pending to running; a creation elsewhere adds one.
            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "w", "handlers": ["drain.work"]}"#)
            let claimed = try #require((claim.object["tasks"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await server.send("POST", "/v1/tasks", json: #"{"handler": "other.work", "queue": "default"}"#)
            let resumed = Self.events(try await server.send("GET", "/v1/events?coalesce=100", headers: ["Last-Event-ID": first.id]).text)
            #expect(resumed.map(\.event) == ["summary"])
            #expect(resumed.first?.data["changes"] as? Int == 2)
            #expect((resumed.first?.data["queues"] as? [String: [String: Int]]) == ["default": ["running": 1]])
            #expect((resumed.first?.data["task_ids"] as? [String])?.first == claimed)
            // Out of range: refused by the document before the stream starts.
            #expect(try await server.send("GET", "/v1/events?coalesce=10").status == 400)
        }
    }

    @Test func aMalformedEventIdIsRefusedBeforeTheStreamStarts() async throws {
        try await TestServer.with(longestWait: 1) { server in
            let malformed = try await server.send("GET", "/v1/events?after=abc")
            #expect(malformed.status == 400)
            let tooLong = try await server.send("GET", "/v1/events", headers: ["Last-Event-ID": "1234567890123456789"])
            #expect(tooLong.status == 400)
            #expect((tooLong.object["detail"] as? String)?.contains("Last-Event-ID") == true, "\(tooLong.text)")
            let fourParts = try await server.send("GET", "/v1/events?after=1:2:3:4")
            #expect(fourParts.status == 400)
            // PostgreSQL's shapes are read by SQLite too (never skipping a change).
            for other in ["12:0", "12:0:1"] {
                #expect(try await server.send("GET", "/v1/events", headers: ["Last-Event-ID": other]).status == 200)
            }
        }
    }

    @Test func theLibraryFollowsTheSameChangesAsAnAsyncSequence() async throws {
        try await TestServer.with { server in
            let client = server.client
            let head = try await server.store.stateChangeHead()
            let task = try await client.enqueue(NewTask(handler: "lib.work")).task
            _ = try await client.enqueue(NewTask(handler: "lib.other"))
            let changes = StateChanges(following: server.store, after: head, matching: StateChangeFilter(taskID: task.id))
            _ = try await client.cancel(task.id)
            // The first two changes of the task, or whatever came within 30 s.
            let seen = try await withThrowingTaskGroup(of: [String]?.self) { group in
                group.addTask {
                    var seen: [String] = []
                    for try await change in changes {
                        seen.append("\(change.from?.rawValue ?? "new")>\(change.to.rawValue)")
                        if seen.count == 2 { break }
                    }
                    return seen
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(30))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            #expect(seen == ["new>pending", "pending>cancelled"])
        }
    }
}
