import ErrandTesting
import Foundation
import Testing

/// `errand task retry|cancel` with a filter instead of an id: every matching task, in this process on the store.
@Suite(.timeLimit(.minutes(2))) struct BulkCommandTests {
    @Test func aFilterCancelsEveryMatchingTaskAndNothingElse() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["queue", "create", "mail"])
            for _ in 0..<7 { _ = try await errand.ok(["task", "add", "--handler", "errand.echo", "--queue", "mail"]) }
            let other = try await errand.ok(["task", "add", "--handler", "errand.echo"])
            let cancelled = try await errand.run(["task", "cancel", "--queue", "mail", "--state", "pending"])
            #expect(cancelled.status == 0, "\(cancelled.stderr)")
            #expect(cancelled.stdout == #"{"action":"cancel","matched":7,"changed":7,"skipped":0}"#)
            #expect(cancelled.stderr.contains("cancel: 7 of 7"), "progress: \(cancelled.stderr)")
            #expect(try await errand.tasks(["--queue", "mail", "--state", "cancelled"]).count == 7)
            #expect(try await errand.state(other) == "pending", "a task outside the filter was cancelled")
            // Retrying them: finished now, so all are retried.
            let retried = try await errand.run(["task", "retry", "--queue", "mail"])
            #expect(retried.stdout == #"{"action":"retry","matched":7,"changed":7,"skipped":0}"#, "\(retried.stderr)")
        }
    }

    @Test func anIdAndAFilterOrNeitherAreRefused() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let id = try await errand.ok(["task", "add", "--handler", "errand.echo"])
            let both = try await errand.run(["task", "retry", id, "--state", "failed"])
            #expect(both.status == 2)
            #expect(both.stderr.contains("give a task id or a filter"), "\(both.stderr)")
            let neither = try await errand.run(["task", "cancel"])
            #expect(neither.status == 2)
            let filters = "--state, --queue, --handler, --module, --tag, --created-after, --created-before, --text, --idempotency-key"
            #expect(neither.stderr.contains("or a filter (\(filters)) to cancel every matching task"), "\(neither.stderr)")
            let badState = try await errand.run(["task", "retry", "--state", "broken"])
            #expect(badState.status == 2)
            #expect(badState.stderr.contains("unknown state \"broken\""), "\(badState.stderr)")
            #expect(try await errand.state(id) == "pending", "a refused command changed a task")
        }
    }

    @Test func deleteTakesAFinishedTaskByIdOrEveryFinishedRootOfAFilterAndRefusesAnUnfinishedOne() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let tagged = try await errand.ok(["task", "add", "--handler", "errand.echo", "--tag", "old"])
            let waiting = try await errand.ok(["task", "add", "--handler", "errand.echo", "--tag", "old"])
            let one = try await errand.ok(["task", "add", "--handler", "errand.echo"])
            for id in [tagged, one] { _ = try await errand.ok(["task", "cancel", id]) }
            let refused = try await errand.run(["task", "delete", waiting])
            #expect(refused.status != 0 && refused.stderr.contains("cancel it first"), "\(refused.stderr)")
            #expect(try await errand.ok(["task", "delete", one]) == "\(one) deleted (1 task)")
            #expect(try await errand.run(["task", "get", one]).status != 0, "the deleted task is still there")
            let bulk = try await errand.run(["task", "delete", "--tag", "old"])
            #expect(bulk.stdout == #"{"action":"delete","matched":2,"changed":1,"skipped":1}"#, "\(bulk.stderr)")
            #expect(try await errand.state(waiting) == "pending")
            #expect(try await errand.tasks(["--tag", "old"]).count == 1)
        }
    }
}
