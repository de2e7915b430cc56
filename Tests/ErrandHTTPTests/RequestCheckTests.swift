import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// Bad requests get a precise problem, never a 500, and change nothing.
@Suite(.timeLimit(.minutes(5))) struct RequestCheckTests {
    static func detail(_ answer: HTTPAnswer) -> String { answer.object["detail"] as? String ?? answer.text }

    @Test(arguments: [
        (#"{"handler": "errand.echo", "bogus": 1}"#, #"unknown field "bogus""#),
        (#"{"handler": 5}"#, "body.handler: must be a string, got the number 5"),
        (#"{"handler": "errand.echo", "priority": 10}"#, "body.priority: must be at most 9, got 10"),
        (#"{"handler": "errand.echo", "priority": 1.5}"#, "body.priority: must be an integer"),
        (#"{"handler": "bad name!"}"#, "body.handler"),
        (#"{"handler": "errand.echo", "run_at": "tomorrow"}"#, "body.run_at: must be an RFC 3339 date-time"),
        (#"{"handler": "errand.echo", "run_at": "2026-02-30T00:00:00Z"}"#, "body.run_at: must be an RFC 3339 date-time"),
        (
            #"{"handler": "errand.echo", "retry": {"max_attempts": 0}}"#,
            "body.retry.max_attempts: matches none of 2 allowed forms (body.retry.max_attempts: must be at least 1, got 0)"
        ),
        (#"{"handler": "errand.echo", "retry": {"delay_factor": 0.5}}"#, "body.retry.delay_factor: must be at least 1"),
        (#"{"queue": "default"}"#, "body: handler is required"),
        (#"{"handler": "errand.echo", "handler": "errand.fail"}"#, #"duplicate key "handler" at line 1, column 28"#),
        ("{\"handler\": \n \"errand.echo\",}", "expected a key in quotes at line 2, column 16"),
        (#"[1, 2]"#, "body: must be an object"),
        // 129 letters with a combining mark each: 129 characters to the eye, 258 code points to JSON Schema.
        (
            #"{"handler": "errand.echo", "scope": "\#(String(repeating: "e\u{301}", count: 129))"}"#,
            "body.scope: must be at most 256 characters, got 258"
        ),
        ("", "needs a JSON request body"),
    ])
    func aBadEnqueueIsRefusedWithThePlaceAndReason(_ body: String, _ expected: String) async throws {
        try await TestServer.with { server in
            let answer = try await server.send("POST", "/v1/tasks", json: body)
            #expect(answer.status == 400, "\(answer.text)")
            #expect(answer.header("Content-Type") == "application/problem+json")
            #expect(Self.detail(answer).contains(expected), "\(Self.detail(answer))")
            let stored = try await server.client.list().tasks
            #expect(stored.isEmpty)
        }
    }

    @Test func queryParametersAreCheckedAndUnknownOnesRefused() async throws {
        try await TestServer.with { server in
            let cases: [(String, String)] = [
                ("/v1/tasks?limit=abc", "limit: must be an integer"),
                ("/v1/tasks?limit=0", "limit: must be at least 1"),
                ("/v1/tasks?state=sleeping", "state[0]: must be one of"),
                ("/v1/tasks?colour=red", #"unknown query parameter "colour""#),
                ("/v1/tasks?limit=1&limit=2", "limit is given 2 times"),
                ("/v1/tasks/not-a-uuid", "id: must be a UUID"),
                ("/v1/tasks/01a21492-4597-72f5-b2f6-46abe2e1f1b5/wait?timeout=-1", "timeout: must be at least 0"),
            ]
            for (path, expected) in cases {
                let answer = try await server.send("GET", path)
                #expect(answer.status == 400, "\(path): \(answer.text)")
                #expect(Self.detail(answer).contains(expected), "\(path): \(Self.detail(answer))")
            }
            let states = try await server.send("GET", "/v1/tasks?state=pending&state=running&limit=5")
            #expect(states.status == 200)
        }
    }

    @Test func unknownRoutesAndMethodsAreProblemsToo() async throws {
        try await TestServer.with { server in
            let missing = try await server.send("GET", "/v1/nothing")
            #expect(missing.status == 404)
            #expect(missing.header("Content-Type") == "application/problem+json")
            let method = try await server.send("PUT", "/v1/tasks")
            #expect(method.status == 405)
            #expect(method.header("Allow") == "GET, POST")
            let noTask = try await server.send("GET", "/v1/tasks/01a21492-4597-72f5-b2f6-46abe2e1f1b5")
            #expect(noTask.status == 404)
            #expect(Self.detail(noTask) == "no task with id 01a21492-4597-72f5-b2f6-46abe2e1f1b5")
            let noQueue = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x", "queue": "nowhere"}"#)
            #expect(noQueue.status == 404)
            #expect(Self.detail(noQueue).contains(#"queue "nowhere" does not exist"#))
            let noParent = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x", "parent_id": "01a21492-4597-72f5-b2f6-46abe2e1f1b5"}"#)
            #expect(noParent.status == 404)
        }
    }

    @Test func anOversizedBodyIsRefusedWith413() async throws {
        try await TestServer.with { server in
            let big = String(repeating: "x", count: 17 << 20)
            let answer = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x", "arguments": "\#(big)"}"#)
            #expect(answer.status == 413)
            let tooBigArguments = String(repeating: "y", count: (1 << 20) + 10)
            let arguments = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x", "arguments": "\#(tooBigArguments)"}"#)
            #expect(arguments.status == 400)
            #expect(Self.detail(arguments).contains("arguments: is"), "\(Self.detail(arguments))")
            let stored = try await server.client.list().tasks
            #expect(stored.isEmpty)
        }
    }

    @Test func anIdempotencyKeyAnswersTheExistingTaskWith200() async throws {
        try await TestServer.with { server in
            let body = #"{"handler": "x", "idempotency_key": "order-17"}"#
            let first = try await server.send("POST", "/v1/tasks", json: body)
            let second = try await server.send("POST", "/v1/tasks", json: body)
            #expect(first.status == 201)
            #expect(second.status == 200)
            #expect(first.object["id"] as? String == second.object["id"] as? String)
        }
    }

    @Test func aTasksMetaIsKeptAsGivenAndOnlyAnObjectIsAccepted() async throws {
        try await TestServer.with { server in
            let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x", "meta": {"context": {"user": 7}, "b": [1, 2]}}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.text.contains(#""meta":{"context": {"user": 7}, "b": [1, 2]}"#), "\(created.text)")
            let id = try #require(created.object["id"] as? String)
            let read = try await server.send("GET", "/v1/tasks/\(id)")
            #expect(((read.object["meta"] as? [String: Any])?["context"] as? [String: Any])?["user"] as? Int == 7)
            let plain = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x"}"#)
            #expect(plain.object["meta"] is NSNull)
            let refused = try await server.send("POST", "/v1/tasks", json: #"{"handler": "x", "meta": "text"}"#)
            #expect(refused.status == 400)
            #expect(Self.detail(refused).contains("body.meta"), "\(refused.text)")
            #expect(try await server.store.list(TaskQuery()).tasks.count == 2, "the refused task was not stored")
        }
    }
}
