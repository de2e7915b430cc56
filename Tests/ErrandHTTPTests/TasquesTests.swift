import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// tasques' API on Errand's server, driven as tasques' clients drive it: the request bodies of its swagger, the loop
/// of its example worker (`example/ciphers/worker-java`, `WorkLoop.java`: claim, report, done or failed, unclaim),
/// and every answer checked against tasques' response schemas (``TasquesSchemas``).
@Suite(.timeLimit(.minutes(5))) struct TasquesTests {
    static let worker = ["X-TASQUES-WORKER-ID": "worker-1"]

    /// The object at `path` (keys separated by dots) of a JSON answer.
    static func value(_ answer: HTTPAnswer, _ path: String) -> Any? {
        var current: Any? = answer.object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current
    }

    @Test func theExampleWorkersLoopClaimsReportsFinishesFailsAndUnclaims() async throws {
        let time = ManualTimeSource()
        try await TestServer.with(time: time) { server in
            // swagger's task.NewTask, with its examples.
            let newTask = #"""
                {"args": {"plain": "hello"}, "context": {"request_id": "r-1"}, "kind": "sayHello", "priority": 5,
                 "processing_timeout": "30m", "queue": "run-later", "retry_times": 10, "run_at": "2026-01-01T00:00:00Z"}
                """#
            let created = try await server.send("POST", "/tasques", json: newTask)
            #expect(created.status == 201, "\(created.text)")
            TasquesSchemas.expect(created, is: "task.Task")
            let id = try #require(created.object["id"] as? String)
            #expect(id.count == 32 && !id.contains("-"), "tasques generates dashless UUIDs: \(id)")
            #expect(created.object["state"] as? String == "queued")
            #expect(created.object["processing_timeout"] as? String == "30m0s")
            #expect(created.object["retry_times"] as? Int == 10)
            #expect(created.object["priority"] as? Int == 5)
            #expect(Self.value(created, "context.request_id") as? String == "r-1")
            #expect(Self.value(created, "args.plain") as? String == "hello")

            // An id is a queue's idempotency key: a second task with it is refused.
            let keyed = #"{"id": "resize-1", "kind": "resize", "queue": "resize-images", "retry_times": 1}"#
            #expect(try await server.send("POST", "/tasques", json: keyed).status == 201)
            let duplicate = try await server.send("POST", "/tasques", json: keyed)
            #expect(duplicate.status == 409)
            TasquesSchemas.expect(duplicate, is: "common.Body")
            #expect(duplicate.object["message"] as? String == "A Task with Id [resize-1] already exists in queue [resize-images]")
            #expect(try await server.send("POST", "/tasques", json: keyed.replacingOccurrences(of: "resize-images", with: "other")).status == 201)

            // swagger's task.Claim, as the example worker sends it; higher priority first.
            let claim = #"{"amount": 1, "block_for": "1s", "queues": ["run-later", "resize-images"]}"#
            let noWorker = try await server.send("POST", "/tasques/claims", json: claim)
            #expect(noWorker.status == 400)
            #expect(noWorker.object["message"] as? String == "Worker Id header [X-TASQUES-WORKER-ID] not sent")
            let blank = try await server.send("POST", "/tasques/claims", json: claim, headers: ["X-TASQUES-WORKER-ID": "  "])
            #expect(blank.status == 400, "a blank worker id is not one: \(blank.text)")
            let claimed = try await server.send("POST", "/tasques/claims", json: claim, headers: Self.worker)
            #expect(claimed.status == 200, "\(claimed.text)")
            TasquesSchemas.expect(claimed, is: "task.Task", array: true)
            let first = try #require((try JSONSerialization.jsonObject(with: claimed.body) as? [[String: Any]])?.first)
            #expect(first["id"] as? String == id)
            #expect(first["state"] as? String == "claimed")
            #expect(first["attempted"] as? Int == 1)
            #expect((first["last_claimed"] as? [String: Any])?["worker_id"] as? String == "worker-1")

            // Reports: the data is kept and the claim's timeout moves; only the claim's worker may report.
            let report = try await server.send("PUT", "/tasques/reports/run-later/\(id)", json: #"{"data": {"progress": 50}}"#, headers: Self.worker)
            #expect(report.status == 200, "\(report.text)")
            TasquesSchemas.expect(report, is: "task.Task")
            #expect(Self.value(report, "last_claimed.last_report.data.progress") as? Int == 50)
            let intruder = try await server.send(
                "PUT",
                "/tasques/reports/run-later/\(id)",
                json: #"{"data": {}}"#,
                headers: ["X-TASQUES-WORKER-ID": "worker-2"]
            )
            #expect(intruder.status == 403)
            #expect(intruder.object["message"] as? String == "The Task was not owned by the worker [worker-2]")

            let done = try await server.send("PUT", "/tasques/done/run-later/\(id)", json: #"{"data": {"cipher": "uryyb"}}"#, headers: Self.worker)
            #expect(done.status == 200, "\(done.text)")
            TasquesSchemas.expect(done, is: "task.Task")
            #expect(done.object["state"] as? String == "done")
            #expect(Self.value(done, "last_claimed.result.success.cipher") as? String == "uryyb")
            let again = try await server.send("PUT", "/tasques/done/run-later/\(id)", json: "{}", headers: Self.worker)
            #expect(again.status == 400)
            TasquesSchemas.expect(again, is: "common.Body")
            let read = try await server.send("GET", "/tasques/run-later/\(id)", token: TestServer.readToken)
            TasquesSchemas.expect(read, is: "task.Task")
            #expect(Self.value(read, "last_claimed.last_report.data.progress") as? Int == 50)
            #expect(Self.value(read, "last_claimed.result.success.cipher") as? String == "uryyb")
            // A finished task keeps its id (until archived).
            let reused = try await server.send("POST", "/tasques", json: #"{"id": "\#(id)", "kind": "sayHello", "queue": "run-later"}"#)
            #expect(reused.status == 409, "\(reused.text)")
            // Once archived (task_storage.archive_older_than), the id is free; the task stays readable and listed archived.
            let errandID = try #require(try await server.store.list(TaskQuery(queue: "run-later", idempotencyKey: id)).tasks.first?.id)
            #expect(try await server.store.archive(finishedBefore: time.now.addingTimeInterval(1), limit: 100) == 1)
            let archived = try await server.send("GET", "/v1/tasks?archived=true&queue=run-later", token: TestServer.readToken)
            #expect(archived.text.contains(errandID.rawValue), "\(archived.text)")
            #expect(try await server.send("GET", "/v1/tasks/\(errandID.rawValue)").object["state"] as? String == "completed")
            let byErrandID = try await server.send("GET", "/tasques/run-later/\(errandID.rawValue)")
            TasquesSchemas.expect(byErrandID, is: "task.Task")
            #expect(byErrandID.object["state"] as? String == "done")
            // (Least urgent, so that the claims below take the others first.)
            let afterArchive = try await server.send(
                "POST",
                "/tasques",
                json: #"{"id": "\#(id)", "kind": "sayHello", "queue": "run-later", "priority": -5}"#
            )
            #expect(afterArchive.status == 201, "\(afterArchive.text)")
            #expect(try await server.send("GET", "/tasques/run-later/\(id)").object["state"] as? String == "queued")

            // The example worker's failure without a result: failed (to be retried) while retries remain, then dead.
            let failure = #"{"data": {"error": "no result for claimed task"}}"#
            #expect(try await server.send("POST", "/tasques/claims", json: claim, headers: Self.worker).status == 200)
            let failed = try await server.send("PUT", "/tasques/failed/resize-images/resize-1", json: failure, headers: Self.worker)
            #expect(failed.status == 200, "\(failed.text)")
            TasquesSchemas.expect(failed, is: "task.Task")
            #expect(failed.object["state"] as? String == "failed")
            #expect(Self.value(failed, "last_claimed.result.failure.error") as? String == "no result for claimed task")
            let retryAt = try #require((failed.object["run_at"] as? String).flatMap(RFC3339.date))
            #expect(retryAt > server.client.time.now, "a failed task waits before its retry")
            time.advance(by: 3600)
            #expect(try await server.send("POST", "/tasques/claims", json: claim, headers: Self.worker).status == 200)
            let dead = try await server.send("PUT", "/tasques/failed/resize-images/resize-1", json: failure, headers: Self.worker)
            #expect(dead.object["state"] as? String == "dead", "\(dead.text)")
            #expect(dead.object["attempted"] as? Int == 2)

            // Unclaim: queued again, the attempt given back.
            #expect(try await server.send("POST", "/tasques", json: #"{"id": "u-1", "kind": "k", "queue": "run-later"}"#).status == 201)
            #expect(try await server.send("POST", "/tasques/claims", json: claim, headers: Self.worker).status == 200)
            let unclaimed = try await server.send("DELETE", "/tasques/claims/run-later/u-1", headers: Self.worker)
            #expect(unclaimed.status == 200, "\(unclaimed.text)")
            TasquesSchemas.expect(unclaimed, is: "task.Task")
            #expect(unclaimed.object["state"] as? String == "queued")
            #expect(unclaimed.object["attempted"] as? Int == 0)
            let notClaimed = try await server.send("DELETE", "/tasques/claims/run-later/u-1", headers: Self.worker)
            #expect(notClaimed.status == 400)
            #expect(notClaimed.object["message"] as? String == "The Task is not currently Claimed so cannot be unclaimed: [u-1]")

            let missing = try await server.send("GET", "/tasques/run-later/nope")
            #expect(missing.status == 404)
            TasquesSchemas.expect(missing, is: "common.Body")
            #expect(missing.object["message"] as? String == "Could not find [nope] in queue [run-later]")
            #expect(try await server.send("PUT", "/tasques/done/run-later/nope", json: "{}", headers: Self.worker).status == 404)
            let badKind = try await server.send("POST", "/tasques", json: #"{"kind": "", "queue": "q"}"#)
            #expect(badKind.status == 400)
            TasquesSchemas.expect(badKind, is: "common.Body")
            let badDuration = try await server.send("POST", "/tasques", json: #"{"kind": "k", "queue": "q", "processing_timeout": "soon"}"#)
            #expect(badDuration.status == 400)
            TasquesSchemas.expect(badDuration, is: "common.Body")
            // Longer than any Go duration: refused, as Go's ParseDuration refuses it (a lease past it cannot be kept).
            let tooLong = try await server.send(
                "POST",
                "/tasques",
                json: #"{"kind": "k", "queue": "q", "processing_timeout": "99999999999999999999h"}"#
            )
            #expect(tooLong.status == 400, "\(tooLong.text)")
            #expect(try await server.send("POST", "/tasques", json: newTask, token: TestServer.readToken).status == 403)
        }
    }

    @Test func aClaimBlocksUntilATaskComesAndATimedOutClaimFails() async throws {
        try await TestServer.with { server in
            let waiting = Task {
                try await server.send("POST", "/tasques/claims", json: #"{"queues": ["later"], "block_for": "20s"}"#, headers: Self.worker)
            }
            try await Task.sleep(for: .milliseconds(300))
            let created = try await server.send(
                "POST",
                "/tasques",
                json: #"{"id": "slow", "kind": "k", "queue": "later", "processing_timeout": "1s"}"#
            )
            #expect(created.status == 201, "the queue is created on first use: \(created.text)")
            let claimed = try await waiting.value
            #expect(claimed.status == 200)
            #expect(claimed.text.contains(#""id":"slow""#), "\(claimed.text)")

            // Past processing_timeout without a report, the claim times out (the leader's rescuer does this).
            try await Task.sleep(for: .milliseconds(1100))
            _ = try await server.store.rescueExpiredLeases(now: server.client.time.now, limit: 10)
            let read = try await server.send("GET", "/tasques/later/slow")
            TasquesSchemas.expect(read, is: "task.Task")
            #expect(read.object["state"] as? String == "failed", "\(read.text)")
            #expect(Self.value(read, "last_claimed.result.failure.timed_out") as? String == "Did not finish before claim timeout period")
        }
    }

    @Test func recurringTasksAreDefinitionsLaunchedOnScheduleAndSkippedWhileOutstanding() async throws {
        let time = ManualTimeSource()
        try await TestServer.with(time: time) { server in
            // swagger's recurring.NewTask, with skip_if_outstanding_tasks_exist.
            let new = #"""
                {"id": "repeat-every-second", "schedule_expression": "@every 1s", "skip_if_outstanding_tasks_exist": true,
                 "task_definition": {"args": {"n": 1}, "context": {"origin": "cron"}, "kind": "tick", "priority": 2,
                                     "processing_timeout": "10s", "queue": "recurring", "retry_times": 3}}
                """#
            let created = try await server.send("POST", "/recurring_tasques", json: new)
            #expect(created.status == 201, "\(created.text)")
            TasquesSchemas.expect(created, is: "recurring.Task")
            #expect(Self.value(created, "task_definition.processing_timeout") as? String == "10s")
            #expect(Self.value(created, "task_definition.context.origin") as? String == "cron")
            let again = try await server.send("POST", "/recurring_tasques", json: new)
            #expect(again.status == 409)
            TasquesSchemas.expect(again, is: "common.Body")
            let listed = try await server.send("GET", "/recurring_tasques", token: TestServer.readToken)
            TasquesSchemas.expect(listed, is: "recurring.Task", array: true)
            #expect(listed.text.contains(#""id":"repeat-every-second""#))

            // The leader's scheduler launches it: once per second, none while a launch is outstanding.
            let scheduler = Scheduler(store: server.store, definitions: [], time: time)
            _ = try await scheduler.tick()
            time.advance(by: 1)
            let launched = try #require(try await scheduler.tick().launched.first)
            time.advance(by: 1)
            #expect(try await scheduler.tick().launched.isEmpty, "skip_if_outstanding_tasks_exist")
            let claim = #"{"queues": ["recurring"], "block_for": "0s"}"#
            let claimed = try await server.send("POST", "/tasques/claims", json: claim, headers: Self.worker)
            TasquesSchemas.expect(claimed, is: "task.Task", array: true)
            let task = try #require((try JSONSerialization.jsonObject(with: claimed.body) as? [[String: Any]])?.first)
            #expect(task["recurring_task_id"] as? String == "repeat-every-second")
            #expect(task["kind"] as? String == "tick")
            #expect(task["priority"] as? Int == 2)
            #expect((task["context"] as? [String: Any])?["origin"] as? String == "cron")
            let id = try #require(task["id"] as? String)
            #expect(id == launched.id.rawValue)
            #expect(try await server.send("PUT", "/tasques/done/recurring/\(id)", json: "{}", headers: Self.worker).status == 200)
            time.advance(by: 1)
            #expect(try await scheduler.tick().launched.count == 1, "launches again once nothing is outstanding")

            let updated = try await server.send("PUT", "/recurring_tasques/repeat-every-second", json: #"{"schedule_expression": "@every 1m"}"#)
            #expect(updated.status == 200, "\(updated.text)")
            TasquesSchemas.expect(updated, is: "recurring.Task")
            #expect(updated.object["schedule_expression"] as? String == "@every 1m")
            #expect(Self.value(updated, "task_definition.kind") as? String == "tick", "what the update leaves out is kept")
            #expect(updated.object["skip_if_outstanding_tasks_exist"] as? Bool == true)
            let missing = try await server.send("PUT", "/recurring_tasques/nope", json: "{}")
            #expect(missing.status == 404)
            #expect(missing.object["message"] as? String == "Could not find Recurring Task [nope]")
            let badCron = try await server.send(
                "POST",
                "/recurring_tasques",
                json: #"{"id": "bad", "schedule_expression": "61 * * * *", "task_definition": {"kind": "k", "queue": "q"}}"#
            )
            #expect(badCron.status == 400)
            #expect((badCron.object["message"] as? String)?.hasPrefix("schedule_expression:") == true, "\(badCron.text)")

            let deleted = try await server.send("DELETE", "/recurring_tasques/repeat-every-second")
            #expect(deleted.status == 200)
            TasquesSchemas.expect(deleted, is: "recurring.Task")
            #expect(try await server.send("GET", "/recurring_tasques/repeat-every-second").status == 404)
            time.advance(by: 60)
            #expect(try await scheduler.tick().launched.isEmpty, "a deleted recurring task launches no more")
        }
    }
}
