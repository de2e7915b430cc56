import ErrandTesting
import Foundation
import Testing

/// The task, queue and stats commands on the real binary.
@Suite(.timeLimit(.minutes(5))) struct CommandTests {
    @Test func aYAMLBatchFromStdinIsEnqueuedWithFlagsAsDefaults() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["queue", "create", "reports"])
            let spec = """
                - handler: errand.echo
                  args: {report: daily, pages: [1, 2]}
                - handler: errand.fail
                  queue: default
                  retry: {max_attempts: 4, delay: 8, delay_factor: 1.5}
                """
            let ids = try await errand.ok(["task", "add", "-f", "-", "--queue", "reports", "--priority", "3"], stdin: spec)
                .split(separator: "\n").map(String.init)
            #expect(ids.count == 2)
            let first = try #require(
                try await errand.json(["task", "get", ids[0], "-o", "json"]) as? [String: Any]
            )
            #expect(first["queue"] as? String == "reports")
            #expect(first["priority"] as? Int == 3)
            #expect((first["arguments"] as? [String: Any])?["report"] as? String == "daily")
            let second = try #require(
                try await errand.json(["task", "get", ids[1], "-o", "json"]) as? [String: Any]
            )
            #expect(second["queue"] as? String == "default")
            #expect((second["retry"] as? [String: Any])?["max_attempts"] as? Int == 4)
        }
    }

    /// riaktq's rule as a queue setting: the queue's tasks that set no decrement of their own take the queue's.
    @Test func aQueuesRetryPriorityDecrementGoesToItsTasks() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["queue", "create", "riak", "--retry-priority-decrement", "1"])
            let queues = try #require(try await errand.json(["queue", "list", "-o", "json"]) as? [[String: Any]])
            #expect(queues.first { $0["name"] as? String == "riak" }?["retry_priority_decrement"] as? Int == 1)
            #expect(try await errand.ok(["queue", "list", "-o", "table"]).contains("RETRY-DECREMENT"))
            let id = try await errand.ok(["task", "add", "--handler", "errand.echo", "--queue", "riak"])
            let task = try #require(try await errand.json(["task", "get", id, "-o", "json"]) as? [String: Any])
            #expect((task["retry"] as? [String: Any])?["priority_decrement"] as? Int == 1)
        }
    }

    /// JSON Lines on stdin: every line is a task; a malformed line is named, and then nothing is added.
    @Test func jsonLinesAddEveryLineAndABadLineAddsNothing() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let lines = """
                {"handler": "errand.echo", "args": {"n": 1}}
                {"handler": "errand.echo", "args": {"n": 2}}
                {"handler": "errand.echo", "args": {"n": 3}, "priority": 2}
                """
            let ids = try await errand.ok(["task", "add", "-f", "-"], stdin: lines).split(separator: "\n")
            #expect(ids.count == 3)
            #expect(try await errand.tasks().count == 3)
            let broken = lines + "\n{\"handler\": \"errand.echo\", \"args\": \n{\"handler\": \"errand.echo\"}\n"
            let refused = try await errand.run(["task", "add", "-f", "-"], stdin: broken)
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("spec line 4"), "\(refused.stderr)")
            #expect(try await errand.tasks().count == 3, "nothing of the refused batch was added")
        }
    }

    @Test func anIdempotencyKeyReturnsTheSameTask() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let first = try await errand.ok(["task", "add", "--handler", "errand.echo", "--idempotency-key", "nightly"])
            let again = try await errand.run(["task", "add", "--handler", "errand.echo", "--idempotency-key", "nightly"])
            #expect(again.status == 0 && again.stdout == first)
            #expect(again.stderr.contains("already holds idempotency key nightly"))
            #expect(try await errand.tasks().count == 1)
        }
    }

    @Test func cancelRetryAndListFilters() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let later = try await errand.ok(["task", "add", "--handler", "errand.echo", "--run-in", "3600"])
            #expect(try await errand.state(later) == "scheduled")
            #expect(try await errand.ok(["task", "cancel", later, "--reason", "not today"]) == "\(later) cancelled")
            let again = try await errand.run(["task", "cancel", later])
            #expect(again.status == 1 && again.stderr.contains("already finished"))
            #expect(try await errand.ok(["task", "retry", later]) == "\(later) pending")
            _ = try await errand.ok(["task", "add", "--handler", "errand.fail"])
            #expect(try await errand.tasks(["--handler", "errand.fail"]).count == 1)
            #expect(try await errand.tasks(["--state", "pending"]).count == 2)
            let page = try await errand.run(["task", "list", "--limit", "1", "-o", "json"])
            #expect(page.stderr.contains("more tasks: --after"))
        }
    }

    @Test func queuesAreManagedAndStatsCountByState() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            #expect(try await errand.ok(["queue", "create", "mail"]) == "mail active")
            #expect(try await errand.ok(["queue", "suspend", "mail"]) == "mail suspended")
            #expect(try await errand.ok(["queue", "resume", "mail"]) == "mail active")
            _ = try await errand.ok(["task", "add", "--handler", "errand.echo", "--queue", "mail"])
            _ = try await errand.ok(["task", "add", "--handler", "errand.echo", "--queue", "mail", "--run-in", "60"])
            let stats = try #require(try await errand.json(["stats", "-o", "json"]) as? [[String: Any]])
            let mail = try #require(stats.first { $0["queue"] as? String == "mail" })
            #expect(mail["total"] as? Int == 2)
            #expect((mail["counts"] as? [String: Int])?["pending"] == 1)
            #expect((mail["counts"] as? [String: Int])?["scheduled"] == 1)
            #expect(try await errand.ok(["stats"]).contains("QUEUE"))
            let yaml = try await errand.ok(["queue", "list", "-o", "yaml"])
            #expect(yaml.contains("name: mail"))
            #expect(try await errand.ok(["queue", "delete", "mail"]) == "deleted queue mail and 2 tasks")
            #expect(try await errand.tasks().isEmpty)
        }
    }

    @Test func theCommandHandlerRunsAProgramWithoutAShell() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve()
            defer { server.terminate() }
            let ok = try await errand.ok(["task", "add", "--handler", "errand.command", "--args", #"{"argv": ["echo", "$HOME; rm -rf /"]}"#])
            // The argument reaches echo verbatim: no shell expanded $HOME or ran the rest.
            #expect(try await errand.ok(["task", "wait", ok, "--timeout", "20"]) == #""$HOME; rm -rf /""#)
            let failing = try await errand.ok([
                "task", "add", "--handler", "errand.command", "--max-attempts", "1", "--args", #"{"argv": ["sh", "-c", "echo broken >&2; exit 3"]}"#,
            ])
            let failed = try await errand.run(["task", "wait", failing, "--timeout", "20"])
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("sh exited with status 3: broken"))
            let slow = try await errand.ok([
                "task", "add", "--handler", "errand.command", "--max-attempts", "1",
                "--args", #"{"argv": ["sh", "-c", "sleep 30 & sleep 30"], "timeout": 0.5}"#,
            ])
            let timedOut = try await errand.run(["task", "wait", slow, "--timeout", "20"])
            #expect(timedOut.status == 1)
            #expect(timedOut.stderr.contains("ran past its timeout"))
            let task = try #require(
                try await errand.json(["task", "attempts", slow, "-o", "json"]) as? [String: Any]
            )
            #expect((task["attempts"] as? [[String: Any]])?.first?["outcome"] as? String == "timeout")
        }
    }
}
