import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// `POST /v1/tasks/bulk` and `GET /v1/tasks/count`, and the `errand.bulk` handler run on the store as a node runs it.
@Suite(.timeLimit(.minutes(2))) struct BulkTests {
    /// Claims one task of `handler` and fails its attempt.
    static func failOne(_ handler: String, _ store: any TaskStore) async throws {
        let claimed = try #require(try await store.claim(ClaimRequest(handlers: [handler], worker: "w", limit: 1, now: Date())).first)
        let lease = Lease(taskID: claimed.id, attempt: claimed.attempt, worker: "w")
        _ = try await store.finish([Finish(lease: lease, outcome: .failed, result: nil, message: "no")], now: Date())
    }

    @Test func aBulkRetryIsATaskThatActsOnlyOnMatchingTasksOlderThanItself() async throws {
        try await TestServer.with { server in
            let failed = (0..<4).map { _ in NewTask(handler: "bulk.job", queue: "default", retry: RetryPolicy(maxAttempts: 1)) }
            let stored = try await server.client.enqueue(failed).map(\.task)
            for _ in stored { try await Self.failOne("bulk.job", server.store) }
            let count = try await server.send("GET", "/v1/tasks/count?state=failed&up_to=3")
            #expect(count.text == #"{"count":3,"more":true}"#, "\(count.text)")
            #expect(try await server.send("GET", "/v1/tasks/count?state=failed").text == #"{"count":4,"more":false}"#)

            let everything = try await server.send("POST", "/v1/tasks/bulk", json: #"{"action": "cancel", "filter": {}}"#)
            #expect(everything.status == 400)
            #expect(
                everything.text.contains(
                    "body.filter: must have at least 1 member of created_after, created_before, handler, idempotency_key, module, parent_id, queue, state, tag, text"
                ),
                "\(everything.text)"
            )
            #expect(try await server.send("POST", "/v1/tasks/bulk", json: #"{"action": "purge", "filter": {"queue": "q"}}"#).status == 400)
            #expect(
                try await server.send(
                    "POST",
                    "/v1/tasks/bulk",
                    json: #"{"action": "retry", "filter": {"state": ["failed"]}}"#,
                    token: TestServer.readToken
                ).status == 403
            )

            let accepted = try await server.send("POST", "/v1/tasks/bulk", json: #"{"action": "retry", "filter": {"state": ["failed"]}}"#)
            #expect(accepted.status == 202, "\(accepted.text)")
            #expect(accepted.object["handler"] as? String == "errand.bulk" && accepted.object["internal"] as? Bool == true)
            // A failed task enqueued after the request is not the action's.
            let later = try await server.client.enqueue(NewTask(handler: "late.job", retry: RetryPolicy(maxAttempts: 1))).task
            try await Self.failOne("late.job", server.store)

            // Run the bulk task as a node would: the built-in handler, with the store.
            let bulk = try #require(
                try await server.store.claim(ClaimRequest(handlers: ["errand.bulk"], worker: "node", limit: 1, now: Date())).first
            )
            let handler = try #require(HandlerRegistry.withBuiltins().body(for: "errand.bulk"))
            let result = try await handler(TaskContext(task: bulk, worker: "node", store: server.store))
            #expect(result == #"{"action":"retry","matched":4,"changed":4,"skipped":0}"#)
            for task in stored { #expect(try await server.client.task(task.id)?.state == .pending) }
            #expect(try await server.client.task(later.id)?.state == .failed, "a task newer than the bulk action was retried")
            let progressed = try #require(try await server.client.task(bulk.id))
            #expect(progressed.progressCompleted == 4 && progressed.progressTotal == 4, "the last report is what was done")
        }
    }

    @Test func aBulkFilterByTagTimeAndTextActsOnExactlyTheTasksTheListShows() async throws {
        try await TestServer.with { server in
            let start = Date().wholeMilliseconds
            let tagged = try await server.client.enqueue(NewTask(handler: "bulk.tagged", arguments: #"{"who": "ann"}"#, tags: ["mail"])).task
            let other = try await server.client.enqueue(NewTask(handler: "bulk.tagged", arguments: #"{"who": "bob"}"#, tags: ["mail"])).task
            _ = try await server.client.enqueue(NewTask(handler: "bulk.tagged", arguments: #"{"who": "ann"}"#, tags: ["report"]))
            let filter = #"{"tag": "mail", "text": "ann", "created_after": "\#(start.iso8601)"}"#
            let listed = try await server.send("GET", "/v1/tasks?tag=mail&text=ann&created_after=\(start.iso8601)")
            #expect((listed.object["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [tagged.id.rawValue], "\(listed.text)")
            // A time that is no time is refused with the member named, and nothing is enqueued.
            let bad = try await server.send("POST", "/v1/tasks/bulk", json: #"{"action": "cancel", "filter": {"created_after": "yesterday"}}"#)
            #expect(bad.status == 400 && bad.text.contains("created_after"), "\(bad.text)")
            let accepted = try await server.send("POST", "/v1/tasks/bulk", json: #"{"action": "cancel", "filter": \#(filter)}"#)
            #expect(accepted.status == 202, "\(accepted.text)")
            let bulk = try #require(
                try await server.store.claim(ClaimRequest(handlers: ["errand.bulk"], worker: "node", limit: 1, now: Date())).first
            )
            // The arguments carry the filter by the API's names, and read back to the same query.
            let action = try BulkAction(arguments: bulk.arguments)
            #expect(action.filter == TaskQuery(tag: "mail", createdAfter: start, text: "ann"), "\(bulk.arguments)")
            #expect(throws: HandlerFailure.self) { try BulkAction(arguments: #"{"action": "cancel", "filter": {"colour": "red"}}"#) }
            let handler = try #require(HandlerRegistry.withBuiltins().body(for: "errand.bulk"))
            let result = try await handler(TaskContext(task: bulk, worker: "node", store: server.store))
            #expect(result == #"{"action":"cancel","matched":1,"changed":1,"skipped":0}"#)
            #expect(try await server.client.task(tagged.id)?.state == .cancelled)
            #expect(try await server.client.task(other.id)?.state == .pending)
        }
    }
}
