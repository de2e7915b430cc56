import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// Remote workers over HTTP: only the lease holder changes a running task, late completions are refused.
@Suite(.timeLimit(.minutes(5))) struct LeaseTests {
    /// Enqueues one task and claims it as `worker`; answers the task id and the attempt.
    static func enqueueAndClaim(_ server: TestServer, worker: String, extra: String = "") async throws -> (id: String, attempt: Int) {
        let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "remote.work", "arguments": {"n": 1}\#(extra)}"#)
        #expect(created.status == 201, "\(created.text)")
        let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "\#(worker)", "handlers": ["remote.work"], "max": 10}"#)
        #expect(claim.status == 200, "\(claim.text)")
        let tasks = claim.object["tasks"] as? [[String: Any]] ?? []
        #expect(tasks.count == 1)
        let task = tasks.first ?? [:]
        #expect(task["state"] as? String == "running")
        #expect(task["worker"] as? String == worker)
        #expect(task["lease_expires_at"] is String)
        return (task["id"] as? String ?? "", task["attempt"] as? Int ?? 0)
    }

    static func lease(_ worker: String, _ attempt: Int, _ extra: String = "") -> String {
        #"{"worker": "\#(worker)", "attempt": \#(attempt)\#(extra)}"#
    }

    @Test func onlyTheLeaseHolderCanHeartbeatCompleteFailOrUnclaim() async throws {
        try await TestServer.with { server in
            let (id, attempt) = try await Self.enqueueAndClaim(server, worker: "worker-a")
            for action in ["heartbeat", "complete", "unclaim"] {
                let answer = try await server.send("POST", "/v1/tasks/\(id)/\(action)", json: Self.lease("worker-b", attempt))
                #expect(answer.status == 409, "\(action) by another worker: \(answer.text)")
                #expect(answer.header("Content-Type") == "application/problem+json")
                #expect((answer.object["detail"] as? String)?.contains("does not hold task \(id)") == true, "\(answer.text)")
            }
            let fail = try await server.send("POST", "/v1/tasks/\(id)/fail", json: Self.lease("worker-b", attempt, #", "message": "no""#))
            #expect(fail.status == 409)
            let wrongAttempt = try await server.send("POST", "/v1/tasks/\(id)/complete", json: Self.lease("worker-a", attempt + 1))
            #expect(wrongAttempt.status == 409)
            let batch = try await server.send(
                "POST",
                "/v1/finishes",
                json: #"{"finishes": [{"id": "\#(id)", "worker": "worker-b", "attempt": \#(attempt), "outcome": "succeeded"}]}"#
            )
            #expect(((batch.object["results"] as? [[String: Any]])?.first?["status"] as? String) == "conflict", "\(batch.text)")
            // Nothing of the above changed the task.
            let running = try await server.send("GET", "/v1/tasks/\(id)")
            #expect(running.object["state"] as? String == "running")
            #expect(running.object["worker"] as? String == "worker-a")

            let heartbeat = try await server.send("POST", "/v1/tasks/\(id)/heartbeat", json: Self.lease("worker-a", attempt))
            #expect(heartbeat.status == 200, "\(heartbeat.text)")
            let done = try await server.send(
                "POST",
                "/v1/tasks/\(id)/complete",
                json: Self.lease("worker-a", attempt, #", "result": {"big": 12345678901234567890}"#)
            )
            #expect(done.status == 200, "\(done.text)")
            #expect(done.object["state"] as? String == "completed")
            // The result is stored as sent: the 20-digit integer survives.
            #expect(done.text.contains(#""result":{"big": 12345678901234567890}"#), "\(done.text)")
            let again = try await server.send("POST", "/v1/tasks/\(id)/complete", json: Self.lease("worker-a", attempt))
            #expect(again.status == 409)
        }
    }

    @Test func aLateCompletionAfterTheLeaseExpiredIsRefusedAndTheRetryCounts() async throws {
        let time = ManualTimeSource()
        try await TestServer.with(time: time) { server in
            let (id, first) = try await Self.enqueueAndClaim(server, worker: "slow", extra: #", "time_to_resolve": 5"#)
            time.advance(by: 6)
            let rescued = try await server.store.rescueExpiredLeases(now: time.now, limit: 10)
            #expect(rescued.count == 1)
            time.advance(by: 60)  // past the retry's backoff
            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "fast", "handlers": ["remote.work"]}"#)
            let retry = (claim.object["tasks"] as? [[String: Any]])?.first ?? [:]
            #expect(retry["id"] as? String == id)
            let second = retry["attempt"] as? Int ?? 0
            #expect(second == first + 1)

            let late = try await server.send("POST", "/v1/tasks/\(id)/complete", json: Self.lease("slow", first, #", "result": "late""#))
            #expect(late.status == 409, "\(late.text)")
            #expect((late.object["detail"] as? String)?.contains("running again as attempt \(second)") == true, "\(late.text)")
            let done = try await server.send("POST", "/v1/tasks/\(id)/complete", json: Self.lease("fast", second, #", "result": "on time""#))
            #expect(done.status == 200)
            #expect(done.object["result"] as? String == "on time")
            let attempts = try await server.send("GET", "/v1/tasks/\(id)/attempts")
            let outcomes = (attempts.object["attempts"] as? [[String: Any]] ?? []).map { "\($0["worker"] ?? ""):\($0["outcome"] ?? "")" }
            #expect(outcomes == ["slow:lost", "fast:succeeded"])
        }
    }

    @Test func unclaimGivesTheAttemptBackAndANonRetryableFailureFailsAtOnce() async throws {
        try await TestServer.with { server in
            let (id, attempt) = try await Self.enqueueAndClaim(server, worker: "w")
            let unclaimed = try await server.send("POST", "/v1/tasks/\(id)/unclaim", json: Self.lease("w", attempt))
            #expect(unclaimed.status == 200)
            #expect(unclaimed.object["state"] as? String == "pending")
            #expect(unclaimed.object["charged_attempts"] as? Int == 0)

            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "w", "handlers": ["remote.work"]}"#)
            let again = (claim.object["tasks"] as? [[String: Any]])?.first?["attempt"] as? Int ?? 0
            let failed = try await server.send(
                "POST",
                "/v1/tasks/\(id)/fail",
                json: Self.lease("w", again, #", "message": "bad input", "retryable": false"#)
            )
            #expect(failed.status == 200, "\(failed.text)")
            #expect(failed.object["state"] as? String == "failed")
            #expect(failed.object["last_error"] as? String == "bad input")
        }
    }

    @Test func aHeartbeatCarriesProgressThatTheTaskShows() async throws {
        try await TestServer.with { server in
            let (id, attempt) = try await Self.enqueueAndClaim(server, worker: "w")
            let beat = try await server.send(
                "POST",
                "/v1/tasks/\(id)/heartbeat",
                json: Self.lease("w", attempt, #", "progress": {"completed": 3, "total": 10}"#)
            )
            #expect(beat.status == 200, "\(beat.text)")
            #expect(beat.text.contains(#""progress":{"completed":3,"total":10}"#), "\(beat.text)")
            let foreign = try await server.send(
                "POST",
                "/v1/tasks/\(id)/heartbeat",
                json: Self.lease("x", attempt, #", "progress": {"completed": 9}"#)
            )
            #expect(foreign.status == 409)
            let bad = try await server.send(
                "POST",
                "/v1/tasks/\(id)/heartbeat",
                json: Self.lease("w", attempt, #", "progress": {"completed": -1}"#)
            )
            #expect(bad.status == 400)
            let task = try await server.send("GET", "/v1/tasks/\(id)")
            #expect(task.text.contains(#""progress":{"completed":3,"total":10}"#), "\(task.text)")
        }
    }

    @Test func aRetryableFailureIsScheduledByTheTasksPolicy() async throws {
        try await TestServer.with { server in
            let (id, attempt) = try await Self.enqueueAndClaim(server, worker: "w", extra: #", "retry": {"max_attempts": 2, "delay": 30}"#)
            let failed = try await server.send("POST", "/v1/tasks/\(id)/fail", json: Self.lease("w", attempt, #", "message": "flaky""#))
            #expect(failed.object["state"] as? String == "scheduled", "\(failed.text)")
        }
    }

    @Test func aLongPollingClaimGetsATaskEnqueuedWhileItWaits() async throws {
        try await TestServer.with { server in
            async let claimed = server.send("POST", "/v1/claims", json: #"{"worker": "poller", "handlers": ["remote.work"], "wait": 20}"#)
            try await Task.sleep(for: .milliseconds(300))
            let created = try await server.send("POST", "/v1/tasks", json: #"{"handler": "remote.work"}"#)
            let answer = try await claimed
            let tasks = answer.object["tasks"] as? [[String: Any]] ?? []
            #expect(tasks.first?["id"] as? String == created.object["id"] as? String)
            #expect(tasks.first?["worker"] as? String == "poller")
        }
    }

    @Test func aBatchOfFinishesIsAppliedInOneGoAndSaysWhichWere() async throws {
        try await TestServer.with { server in
            let tasks = (0..<3).map { _ in #"{"handler": "remote.work"}"# }.joined(separator: ",")
            #expect(try await server.send("POST", "/v1/tasks/batch", json: #"{"tasks": [\#(tasks)]}"#).status == 201)
            let claim = try await server.send("POST", "/v1/claims", json: #"{"worker": "b", "max": 100}"#)
            let claimed = claim.object["tasks"] as? [[String: Any]] ?? []
            #expect(claimed.count == 3)
            let finishes = claimed.enumerated().map { index, task in
                let outcome = index == 0 ? "failed" : "succeeded"
                let attempt = index == 2 ? 99 : (task["attempt"] as? Int ?? 0)
                return #"{"id": "\#(task["id"] ?? "")", "worker": "b", "attempt": \#(attempt), "outcome": "\#(outcome)", "result": [\#(index)]}"#
            }
            let answer = try await server.send("POST", "/v1/finishes", json: #"{"finishes": [\#(finishes.joined(separator: ","))]}"#)
            let results = (answer.object["results"] as? [[String: Any]] ?? []).map { "\($0["status"] ?? ""):\($0["state"] ?? "-")" }
            #expect(results == ["applied:scheduled", "applied:completed", "conflict:-"], "\(answer.text)")
        }
    }
}
