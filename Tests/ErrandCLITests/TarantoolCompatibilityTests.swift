import ErrandTesting
import Foundation
import Testing

/// Tarantool's task manager configuration as its users write it: the documentation's two examples verbatim, and the
/// defaults of a `tasks:` definition (one attempt, `pause_sec` 60, `time_to_resolve` bounding each attempt).
@Suite(.timeLimit(.minutes(5)), .tags(.realTime)) struct TarantoolCompatibilityTests {
    /// "Basic usage": the first example of the seed, as written there.
    static let basicExample = """
        tasks:
          my_task:
            kind: periodical
            func_name: my_module.my_task
            schedule: "*/* 1 * * * *"

        """

    /// "Tasks configuration": the second example of the seed, as written there.
    static let roleExample = """
        tasks:
          my_reload:
            kind: periodical
            func_name: my_module.cache_reload
            schedule: "*/* 1 * * * *"
            time_to_resolve: 180
          my_flush:
            kind: single_shot
            func_name: my_module.cache_flush
            args:
              - some_string1
              - some_string2
          push_metrics:
            kind: continuous
            func_name: my_module.push_metrics
            pause_sec: 30
        task_storage:
          task_ttr: 60 # default time_to_resolve, if no other value is specified in task
          task_log_max_size: 100 # number of task history records (excluding pending or running ones) to be kept on a single storage node (per task name)
        task_runner:
          capacity: 128 # number of tasks that can be executed simultaneously on a single runner node

        """

    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    @Test(arguments: ["basic", "role"])
    func theSeedsExamplesCheckOutAndRunUnderServe(_ example: String) async throws {
        try await TemporaryDirectory.with { directory in
            let text = example == "basic" ? Self.basicExample : Self.roleExample
            let names = example == "basic" ? ["my_task"] : ["my_flush", "my_reload", "push_metrics"]
            let periodical = names.first { $0 != "my_flush" && $0 != "push_metrics" } ?? ""
            let file = directory.appendingPathComponent("tarantool.yaml")
            try Data(text.utf8).write(to: file)
            let errand = ErrandBinary(directory: directory)
            let check = try await errand.runBare(["config", "check", file.path])
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains("ok, \(names.count) task definition"), "\(check.stdout)")
            #expect(check.stdout.contains(#"\#(periodical): periodical, my_module."#) && check.stdout.contains(#"schedule "0 * * * * *""#))
            // One warning about the schedule, with the reading and the next fire times; one per definition whose handler
            // (my_module's functions) nothing runs.
            let lines = check.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
            let warnings = lines.filter { $0.contains("is not valid cron") }
            #expect(warnings.count == 1, "\(check.stderr)")
            #expect(lines.filter { $0.contains("no node runs its handler") }.count == names.count, "\(check.stderr)")
            #expect(warnings.first?.contains(#"tasks.\#(periodical).schedule: "*/* 1 * * * *" is not valid cron"#) == true)
            #expect(warnings.first?.contains(#"every minute: "0 * * * * *" (next: "#) == true, "\(check.stderr)")

            let server = try errand.serve(["--config", file.path])
            defer { server.terminate() }
            let url = try #require(await errand.apiURL(), "\(errand.nodeLogs())")
            let api = ServeAPI(url: url)
            let definitions = try #require(try await api.object("GET", "/v1/definitions")["definitions"] as? [[String: Any]])
            #expect(definitions.compactMap { $0["name"] as? String }.sorted() == names)
            let schedule = try #require(definitions.first { $0["name"] as? String == periodical })
            let runs = (schedule["next_runs"] as? [Any] ?? []).compactMap(Self.date)
            #expect(runs.count == 3)
            #expect(runs.allSatisfy { $0.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0 }, "\(runs)")
            #expect(zip(runs, runs.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 60 }, "every minute: \(runs)")
            guard example == "role" else { return }
            // The continuous definition is kept alive from the start; the single-shot one starts by name.
            let pushed = try await eventually(timeout: 15, every: 0.25, "push_metrics launched") {
                try await !errand.tasks(["--module", "push_metrics"]).isEmpty
            }
            #expect(pushed, "\(errand.nodeLogs())")
            let id = try await errand.ok(["task", "start", "my_flush", "--config", file.path])
            let flush = try #require(try await errand.json(["task", "get", id, "-o", "json"]) as? [String: Any])
            #expect(flush["module"] as? String == "my_flush")
            #expect(flush["arguments"] as? [String] == ["some_string1", "some_string2"])
        }
    }

    @Test func definitionsTakeTarantoolsDefaults() async throws {
        try await TemporaryDirectory.with { directory in
            let file = directory.appendingPathComponent("errand.yaml")
            try Data(
                """
                tasks:
                  flaky: {kind: single_shot, func_name: errand.fail}
                  pump: {kind: continuous, func_name: errand.echo}
                  hung: {kind: single_shot, command: [sleep, "30"], time_to_resolve: 1}

                """.utf8
            ).write(to: file)
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve(["--config", file.path])
            defer { server.terminate() }

            // A failing launch is not retried: max_attempts 1.
            let flaky = try await errand.ok(["task", "start", "flaky", "--config", file.path])
            let failed = try await eventually(timeout: 20, every: 0.25, "flaky failed") { try await errand.state(flaky) == "failed" }
            #expect(failed, "\(errand.nodeLogs())")
            let flakyAttempts = try #require(try await errand.json(["task", "attempts", flaky, "-o", "json"]) as? [String: Any])
            #expect((flakyAttempts["attempts"] as? [Any])?.count == 1)

            // A continuous instance is followed by the next one 60 s (pause_sec) after it ended.
            let restarted = try await eventually(timeout: 20, every: 0.25, "the second pump instance") {
                try await errand.tasks(["--module", "pump"]).count >= 2
            }
            #expect(restarted, "\(errand.nodeLogs())")
            let pumps = try await errand.tasks(["--module", "pump", "--oldest-first"])
            let ended = try #require(Self.date(pumps.first?["finished_at"]))
            let next = try #require(Self.date(pumps.dropFirst().first?["run_at"]))
            #expect(pumps.dropFirst().first?["state"] as? String == "scheduled")
            #expect(abs(next.timeIntervalSince(ended) - 60) < 0.01, "next instance \(next.timeIntervalSince(ended)) s after the last")

            // A handler that hangs past time_to_resolve (1 s) is stopped: its attempt ends lost, and is not retried.
            let started = Date()
            let hung = try await errand.ok(["task", "start", "hung", "--config", file.path])
            let lost = try await eventually(timeout: 20, every: 0.1, "hung ended") { try await errand.state(hung) == "failed" }
            #expect(lost, "\(errand.nodeLogs())")
            #expect(Date().timeIntervalSince(started) < 10, "the attempt ran \(Date().timeIntervalSince(started)) s")
            let hungAttempts = try #require(try await errand.json(["task", "attempts", hung, "-o", "json"]) as? [String: Any])
            let attempt = try #require((hungAttempts["attempts"] as? [[String: Any]])?.first)
            #expect(attempt["outcome"] as? String == "lost", "\(attempt)")
            #expect((attempt["message"] as? String)?.contains("time_to_resolve of 1 s") == true, "\(attempt)")
            #expect((hungAttempts["attempts"] as? [Any])?.count == 1)
        }
    }

    @Test func aDefinitionWhoseHandlerNoNodeRunsIsAnUnknownTask() async throws {
        try await TemporaryDirectory.with { directory in
            let file = directory.appendingPathComponent("errand.yaml")
            try Data(
                """
                tasks:
                  orphan: {kind: single_shot, func_name: my_module.nobody_runs_this}
                  served: {kind: single_shot, func_name: errand.echo}

                """.utf8
            ).write(to: file)
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve(["--config", file.path])
            defer { server.terminate() }
            let url = try #require(await errand.apiURL(), "\(errand.nodeLogs())")
            #expect(errand.nodeLogs().contains(#"warning: \#(file.path): tasks.orphan: no node runs its handler "my_module.nobody_runs_this""#))
            #expect(!errand.nodeLogs().contains("tasks.served: no node runs"))

            // With the server up (a live worker that runs errand's handlers), config check warns about the orphan only.
            let check = try await errand.run(["config", "check", file.path])
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stderr.contains(#"tasks.orphan: no node runs its handler "my_module.nobody_runs_this""#), "\(check.stderr)")
            #expect(check.stderr.contains("no live worker of"), "\(check.stderr)")
            #expect(!check.stderr.contains("tasks.served"), "\(check.stderr)")

            let orphan = try await errand.ok(["task", "start", "orphan", "--config", file.path])
            let served = try await errand.ok(["task", "start", "served", "--config", file.path])
            #expect(try await errand.ok(["task", "wait", served, "--timeout", "20"]).contains("[]"))
            // Counted unknown task in the statistics, locally and over the server, in total and for its definition.
            for remote in [false, true] {
                let arguments = ["stats", "--definitions", "-o", "json"] + (remote ? ["--server", url] : [])
                let result = try await remote ? errand.runBare(arguments) : errand.run(arguments)
                #expect(result.status == 0, "\(result.stderr)")
                let text = result.stdout
                let breakdown = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let all = try #require(breakdown["statuses"] as? [String: Int])
                let definitions = try #require(breakdown["definitions"] as? [String: [String: Int]])
                #expect(all["unknown task"] == 1 && all["completed"] == 1 && all["total"] == 2, "\(text)")
                #expect(definitions["orphan"]?["unknown task"] == 1 && definitions["orphan"]?["pending"] == 0, "\(text)")
                #expect(definitions["served"]?["completed"] == 1 && definitions["served"]?["unknown task"] == 0, "\(text)")
            }
            let table = try await errand.ok(["stats"])
            #expect(table.contains("UNKNOWN TASK") && table.contains("(all tasks)"), "\(table)")
            // The metric shows it.
            let metrics = String(decoding: try await ServeAPI(url: url).send("GET", "/metrics").data, as: UTF8.self)
            #expect(metrics.contains(#"errand_status_tasks{status="unknown task"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"errand_definition_status_tasks{definition="orphan",status="unknown task"} 1"#), "\(metrics)")
            // Listings flag it.
            let listed = try await errand.tasks(["--module", "orphan"])
            #expect(listed.first?["unknown_task"] as? Bool == true)
            #expect(try await errand.tasks(["--module", "served"]).first?["unknown_task"] as? Bool == false)
            let row = try await errand.ok(["task", "list", "--module", "orphan", "-o", "table"])
            #expect(row.contains("pending (unknown task)"), "\(row)")
            let view = try await ServeAPI(url: url).object("GET", "/v1/tasks/\(orphan)")
            #expect(view["unknown_task"] as? Bool == true)
        }
    }
}
