import ErrandTesting
import Foundation
import Testing

/// pftaskqueue's verbs, as its runbooks call them, on the real binary.
@Suite(.timeLimit(.minutes(5))) struct PftaskqueueVerbTests {
    @Test func aRunbookWorksVerbForVerb() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            #expect(try await errand.ok(["create-queue", "foo"]) == "foo active")
            #expect(try await errand.ok(["create-queue", "paused", "--state", "suspend"]) == "paused suspended")
            // pftaskqueue's runbook: create suspended, fill, resume. Errand's own verb keeps its rule.
            #expect(try await errand.ok(["add-task", "paused", "-f", "-"], stdin: "payload: early\n").split(separator: "\n").count == 1)
            let refused = try await errand.run(["task", "add", "--queue", "paused", "--handler", "errand.echo"])
            #expect(refused.status != 0 && refused.stderr.contains("suspended"), "\(refused.stderr)")
            #expect(try await errand.ok(["get-queue-state", "foo"]) == "active")
            let ids = try await errand.ok(
                ["add-task", "foo", "-f", "-"],
                stdin: "payload: foo\nretryLimit: 0\ntimeoutSeconds: 100\n---\npayload: bar\n"
            )
            #expect(ids.split(separator: "\n").count == 2)
            let worker = try errand.serve(
                [
                    "--name", "runbook", "--queue-name", "foo", "--concurrency", "2", "--exit-on-empty", "--exit-on-empty-grace-period", "1", "--",
                    "cat",
                ],
                command: "start-worker"
            )
            #expect(await worker.waitForExit(timeout: 60) == 0, "\(errand.nodeLogs())")
            let yaml = try await errand.ok(["get-task", "foo", "--state", "succeeded", "--output", "yaml"])
            #expect(yaml.contains("phase: Succeeded") && yaml.contains("payload: foo") && yaml.contains("timeoutSeconds: 100"), "\(yaml)")
            #expect(yaml.components(separatedBy: "- uid: ").count == 3)
            #expect(try await errand.json(["get-task", "foo", "--state", "pending", "-o", "json"]) as? [Any] != nil)
            #expect((try await errand.json(["get-task", "foo", "--state", "pending", "-o", "json"]) as? [Any])?.isEmpty == true)
            #expect(try await errand.ok(["suspend-queue", "foo"]) == "foo suspended")
            #expect(try await errand.ok(["get-queue-state", "foo"]) == "suspend", "pftaskqueue's name for the state")
            #expect(try await errand.ok(["resume-queue", "foo"]) == "foo active")
            #expect(try await errand.ok(["get-all-queues", "--output", "table"]).contains("paused"))
            #expect(try await errand.ok(["resume-queue", "paused"]) == "paused active")
            #expect((try await errand.json(["get-task", "paused", "--state", "pending", "-o", "json"]) as? [Any])?.count == 1)
            #expect(try await errand.ok(["delete-queue", "foo"]) == "deleted queue foo and 2 tasks")
            #expect(try await errand.runBare(["print-default-config"]).stdout.contains("exit_on_empty:"))
            let unknownState = try await errand.run(["get-task", "paused", "--state", "sleepy"])
            #expect(unknownState.status == 2 && unknownState.stderr.contains("--state must be one of"))
        }
    }

    /// A Kubernetes Job of pftaskqueue's README, as written: its env (PFTQ_*), its camelCase config file (with a
    /// redis: section), its flags, on a store with two queues.
    @Test func aKubernetesJobStyleWorkerTakesOnlyItsQueueRetriesAtOnceAndExitsOnEmpty() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            for queue in ["train", "eval"] { _ = try await errand.ok(["create-queue", queue]) }
            // Fails the first time it sees a payload starting with "flaky", then succeeds; "hook" adds a follow-up
            // (with a key pftaskqueue does not know) that fails for good.
            let handler = try errand.script(
                "handler.sh",
                """
                read -r workspace
                payload=$(cat "$workspace/input/payload")
                marker="\(directory.path)/seen-$payload"
                case "$payload" in
                flaky*) [ -e "$marker" ] || { touch "$marker"; echo "first try fails" >"$workspace/output/message"; exit 1; } ;;
                hook) printf '[{"payload": "doomed", "retryLimit": 0, "priority": "ignored by Go"}]' >"$workspace/output/postHooks.json" ;;
                doomed) exit 1 ;;
                esac
                printf 'done %s' "$payload" >"$workspace/output/payload"
                """
            )
            let config = directory.appendingPathComponent("pftaskqueue.yaml")
            try """
            redis:
              addr: localhost:6379
              keyPrefix: team-a
            worker:
              concurrency: 2
              taskHandler:
                defaultTimeout: 1m0s
                cleanupWorkspaceDir: true
              heartBeat:
                interval: 500ms
                expirationDuration: 10s
                salvageDuration: 15s
              exitOnEmptyGracePeriod: 2s
              workDir: \(directory.appendingPathComponent("ws").path)
            """.write(to: config, atomically: true, encoding: .utf8)
            let flaky = try await errand.ok(
                ["add-task", "train", "-f", "-"],
                stdin: "name: a\npayload: flaky-1\nretryLimit: 2\ntimeoutSeconds: 30\n"
            )
            .trimmingCharacters(in: .whitespacesAndNewlines)
            let hook = try await errand.ok(["add-task", "train", "-f", "-"], stdin: "payload: hook\n").trimmingCharacters(in: .whitespacesAndNewlines)
            let other = try await errand.ok(["add-task", "eval", "-f", "-"], stdin: "payload: flaky-2\n").trimmingCharacters(
                in: .whitespacesAndNewlines
            )
            let environment = ["PFTQ_WORKER_QUEUENAME": "train", "PFTQ_WORKER_NAME": "job-pod-0"]
            let worker = try errand.serve(
                ["--config", config.path, "--exit-on-empty=true", "--", handler.path],
                command: "start-worker",
                environment: environment
            )
            #expect(await worker.waitForExit(timeout: 90) == 0, "\(errand.nodeLogs())")
            // Exited on empty after a grace of 2 s: the retry ran at once, or the task would still be waiting.
            #expect(try await errand.state(flaky) == "completed", "\(errand.nodeLogs())")
            #expect(try await errand.state(hook) == "completed", "a follow-up's failure is not its task's")
            #expect(try await errand.state(other) == "pending", "the worker took a queue that is not its own")
            let logs = errand.nodeLogs(lines: 300)
            #expect(logs.contains("redis: pftaskqueue's Redis settings are not used"), "\(logs)")

            let tasks = try #require(try await errand.json(["get-task", "train", "-o", "json"]) as? [[String: Any]])
            #expect(tasks.count == 3, "the two added and the follow-up: \(tasks)")
            let record = try #require(tasks.first { $0["uid"] as? String == flaky })
            let spec = try #require(record["spec"] as? [String: Any])
            #expect(spec["name"] as? String == "a" && spec["payload"] as? String == "flaky-1" && spec["retryLimit"] as? Int == 2)
            #expect(spec["timeoutSeconds"] as? Int == 30)
            let status = try #require(record["status"] as? [String: Any])
            #expect(status["phase"] as? String == "Succeeded" && status["failureCount"] as? Int == 1 && status["salvageCount"] as? Int == 0)
            #expect(status["createdAt"] is String)
            let history = try #require(status["history"] as? [[String: Any]])
            #expect(history.count == 2)
            let results = history.compactMap { $0["result"] as? [String: Any] }
            #expect(results.map { $0["type"] as? String } == ["Failure", "Success"])
            #expect(results.map { $0["reason"] as? String } == ["Failed", "Succeeded"])
            #expect(results.last?["payload"] as? String == "done flaky-1")
            #expect((results.first?["message"] as? String)?.contains("first try fails") == true, "\(results)")
            #expect(history.allSatisfy { ($0["workerName"] as? String)?.hasPrefix("job-pod-0") == true }, "\(history)")
            #expect(history.allSatisfy { $0["processUID"] is String && $0["receivedAt"] is String && $0["finishedAt"] is String })
            let doomed = try #require(tasks.first { ($0["spec"] as? [String: Any])?["payload"] as? String == "doomed" })
            #expect((doomed["status"] as? [String: Any])?["phase"] as? String == "Failed")
            let followUp = try await errand.json(["task", "get", try #require(doomed["uid"] as? String), "-o", "json"]) as? [String: Any]
            #expect(followUp?["parent_id"] is NSNull, "a follow-up is a new task, not a child: \(String(describing: followUp))")

            let printed = try await errand.runBare(["print-config", "--config", config.path, "--num-tasks", "5"])
            #expect(printed.status == 0, "\(printed.stderr)")
            for line in ["queueName:", "concurrency: 2", "defaultTimeout: 1m0s", "interval: 500ms", "exitOnSuspend: true", "numTasks: 5"] {
                #expect(printed.stdout.contains(line), "\(line) in \(printed.stdout)")
            }
            let noQueue = try await errand.run(["start-worker", "--config", config.path, "--", handler.path])
            #expect(noQueue.status == 2 && noQueue.stderr.contains("start-worker needs a queue"), "\(noQueue.stderr)")
            let badConfig = directory.appendingPathComponent("bad.yaml")
            try "worker:\n  queueName: train\n  heartBeat:\n    interval: soon\n".write(to: badConfig, atomically: true, encoding: .utf8)
            let bad = try await errand.run(["start-worker", "--config", badConfig.path, "--", handler.path])
            #expect(bad.status == 2 && bad.stderr.contains("worker.heartBeat.interval"), "\(bad.stderr)")
        }
    }

    /// pftaskqueue's other verbs: version, generate-task feeding add-task, and add-task from a directory.
    @Test func generateTaskVersionAndAddTaskFromADirectory() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let version = try await errand.runBare(["version"])
            let object = try JSONSerialization.jsonObject(with: Data(version.stdout.utf8)) as? [String: Any]
            #expect(object?["Version"] is String && object?["Revision"] is String, "\(version.stdout)")
            let generated = try await errand.runBare(["generate-task", "--retry-limit", "1", "--timeout", "10m", "-f", "-"], stdin: "p-1\np 2\n")
            #expect(generated.stdout.components(separatedBy: "---\n").count == 3, "\(generated.stdout)")
            #expect(generated.stdout.contains("timeoutSeconds: 600") && generated.stdout.contains("retryLimit: 1"))
            _ = try await errand.ok(["create-queue", "q"])
            let ids = try await errand.ok(["add-task", "q", "-f", "-"], stdin: generated.stdout)
            #expect(ids.split(separator: "\n").count == 2)

            let specs = directory.appendingPathComponent("specs")
            try FileManager.default.createDirectory(at: specs.appendingPathComponent("more"), withIntermediateDirectories: true)
            try "payload: a\n---\npayload: b\n".write(to: specs.appendingPathComponent("1.yaml"), atomically: true, encoding: .utf8)
            try "payload: c\n".write(to: specs.appendingPathComponent("2.yml"), atomically: true, encoding: .utf8)
            try "not a spec".write(to: specs.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
            try "payload: d\n".write(to: specs.appendingPathComponent("more/3.yaml"), atomically: true, encoding: .utf8)
            #expect(try await errand.ok(["add-task", "q", "-f", specs.path]).split(separator: "\n").count == 3)
            #expect(try await errand.ok(["add-task", "q", "-f", specs.path, "-R"]).split(separator: "\n").count == 4)
            try "payload: e\nretryLimit: many\n".write(to: specs.appendingPathComponent("more/4.yaml"), atomically: true, encoding: .utf8)
            let bad = try await errand.run(["add-task", "q", "-f", specs.path, "-R"])
            #expect(bad.status == 2 && bad.stderr.contains("4.yaml"), "\(bad.stderr)")
            let all = try #require(try await errand.json(["get-task", "q", "-o", "json"]) as? [Any])
            #expect(all.count == 2 + 3 + 4, "a bad file adds nothing")
        }
    }

    @Test func completionScriptsForEachShell() async throws {
        let errand = ErrandBinary(directory: URL(fileURLWithPath: NSTemporaryDirectory()))
        for (shell, marker) in [("bash", "complete -o filenames -F _errand errand"), ("zsh", "#compdef errand"), ("fish", "complete -c 'errand'")] {
            let script = try await errand.runBare(["completion", shell])
            #expect(script.status == 0 && script.stdout.contains(marker), "\(shell): \(script.stdout.prefix(200))")
            #expect(script.stdout.contains("start-worker"))
        }
        let bad = try await errand.runBare(["completion", "tcsh"])
        #expect(bad.status == 2 && bad.stderr.contains("unknown shell tcsh"))
    }
}
