import ErrandTesting
import Foundation
import GRDB
import Testing

/// `errand worker -- CMD` on the real binary with real child processes, and a handler script written against
/// pftaskqueue's protocol (`Tests/Fixtures/pftaskqueue/handler.sh`).
@Suite(.timeLimit(.minutes(5))) struct ProcessWorkerTests {
    static let handler = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pftaskqueue/handler.sh").path

    /// Runs a worker that exits once its queue stays empty for a second, and returns its exit status.
    static func drain(_ errand: ErrandBinary, _ extra: [String] = [], handler: [String] = [handler], log: String? = nil) async throws -> Int32? {
        let worker = try errand.serve(
            ["--exit-on-empty", "--exit-on-empty-grace-period", "1", "--work-dir", errand.directory.appendingPathComponent("ws").path]
                + extra + ["--"] + handler,
            command: "worker",
            environment: log.map { ["HANDLER_LOG": $0] } ?? [:]
        )
        return await worker.waitForExit(timeout: 60)
    }

    static func task(_ errand: ErrandBinary, _ id: String) async throws -> [String: Any] {
        try #require(try await errand.json(["task", "get", id, "-o", "json"]) as? [String: Any])
    }

    /// The task's attempts, as `errand task attempts ID -o json` lists them.
    static func attempts(_ errand: ErrandBinary, _ id: String) async throws -> [[String: Any]] {
        let listed = try #require(try await errand.json(["task", "attempts", id, "-o", "json"]) as? [String: Any])
        return try #require(listed["attempts"] as? [[String: Any]])
    }

    @Test func aPftaskqueueHandlerScriptRunsUnchanged() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            // pftaskqueue's add-task input: YAML TaskSpecs separated by ---.
            let specs =
                "name: greeting\npayload: hello\n---\npayload: chain-a\nretryLimit: 0\n---\npayload: fail now\nretryLimit: 1\ntimeoutSeconds: 30\n"
            let ids = try await errand.ok(["task", "add", "-f", "-", "--retry-delay", "0"], stdin: specs).split(separator: "\n").map(String.init)
            #expect(ids.count == 3)
            #expect(try await Self.drain(errand, ["--name", "pod-7"]) == 0, "\(errand.nodeLogs())")

            let hello = try await Self.task(errand, ids[0])
            #expect(hello["state"] as? String == "completed" && hello["result"] as? String == "HELLO")
            #expect(hello["message"] as? String == "handled \(ids[0])\n" && hello["name"] as? String == "greeting")
            let failed = try await Self.task(errand, ids[2])
            #expect(failed["state"] as? String == "failed" && failed["attempt"] as? Int == 2)
            #expect((failed["last_error"] as? String)?.contains("asked to fail") == true)
            // The follow-up from output/postHooks.json ran too, as a child of its task.
            let children = try await errand.tasks(["--parent", ids[1]])
            #expect(children.count == 1)
            #expect(children.first?["state"] as? String == "completed" && children.first?["result"] as? String == "CHAIN-A-CHILD")
            #expect(children.first?["name"] as? String == "child of \(ids[1])" && children.first?["timeout"] as? Double == 30)
            let attempts = try #require(try await errand.json(["task", "attempts", ids[0], "-o", "json"]) as? [String: Any])
            #expect(((attempts["attempts"] as? [[String: Any]])?.first?["worker"] as? String)?.hasPrefix("pod-7:") == true)
        }
    }

    @Test func numTasksExitsZeroOnceThatManyHaveRun() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: (1...5).map { "payload: p\($0)" }.joined(separator: "\n---\n"))
            let worker = try errand.serve(["--num-tasks", "2", "--", Self.handler], command: "worker")
            #expect(await worker.waitForExit(timeout: 60) == 0, "\(errand.nodeLogs())")
            #expect(try await errand.tasks(["--state", "completed"]).count == 2)
            #expect(try await errand.tasks(["--state", "pending"]).count == 3)
            #expect(errand.nodeLogs().contains("claimed its 2 tasks (num_tasks)"))
        }
    }

    @Test func aTaskPastItsTimeoutIsKilledWithTheProcessesItStarted() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let pidFile = directory.appendingPathComponent("grandchild.pid").path
            let script = try errand.script("slow.sh", "sleep 300 &\necho $! > \(pidFile)\nwait\n")
            let id = try await errand.ok(["task", "add", "-f", "-"], stdin: "payload: slow\ntimeoutSeconds: 1\n")
            #expect(try await Self.drain(errand, ["--kill-grace", "1"], handler: [script.path]) == 0, "\(errand.nodeLogs())")
            let task = try await Self.task(errand, id)
            #expect(task["state"] as? String == "failed")
            #expect((task["last_error"] as? String)?.contains("timeout of 1 s") == true)
            let attempts = try #require(try await errand.json(["task", "attempts", id, "-o", "json"]) as? [String: Any])
            #expect((attempts["attempts"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["timeout"])
            let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            // Gone, or a zombie waiting for an init that does not reap (as in some containers): dead either way.
            let gone = await eventually(timeout: 10, every: 0.1, "grandchild \(pid) gone") {
                guard kill(pid, 0) == 0 else { return errno == ESRCH }
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") == true
            }
            #expect(gone, "the grandchild \(pid) outlived the timeout")
        }
    }

    @Test func badInputGetsClearErrorsAndTheWorkerKeepsServing() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let waiting = try await errand.ok(["task", "add", "-f", "-"], stdin: "payload: waits\n")
            // Refused at start, before anything is claimed.
            let missing = try await errand.run(["worker", "--", "/no/such/handler"])
            #expect(missing.status == 2 && missing.stderr.contains("handler command /no/such/handler not found"))
            let unwritable = try await errand.run(["worker", "--work-dir", "/etc/passwd/ws", "--", Self.handler])
            #expect(unwritable.status == 2 && unwritable.stderr.contains("work dir /etc/passwd/ws cannot be written"))
            let oversized = try await errand.run(["task", "add", "-f", "-"], stdin: "payload: \(String(repeating: "x", count: 1 << 20))\n")
            #expect(oversized.status == 2 && oversized.stderr.contains("arguments"))
            let unknownQueue = try await errand.run(["worker", "--queue", "nope", "--", Self.handler])
            #expect(unknownQueue.status == 2 && unknownQueue.stderr.contains("no queue named nope"))
            #expect(try await errand.state(waiting) == "pending")

            // At run time: malformed postHooks.json, and a workspace that cannot be made, end one attempt each
            // `internal_error`; the worker goes on with the others.
            let bad = try await errand.ok(["task", "add", "-f", "-"], stdin: "payload: badhooks\n")
            // The victim runs last (priority 5), after the task that blocks its workspace; its retry runs at once.
            let victim = try await errand.ok(
                ["task", "add", "-f", "-", "--priority", "5", "--retry-delay", "0"],
                stdin: "payload: victim\nretryLimit: 1\n"
            )
            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: "payload: block \(victim)\n")
            #expect(try await Self.drain(errand) == 0, "\(errand.nodeLogs())")
            let badTask = try await Self.task(errand, bad)
            #expect(badTask["state"] as? String == "failed")
            #expect((badTask["last_error"] as? String)?.contains("postHooks.json is not valid JSON") == true)
            let victimAttempts = try #require(try await errand.json(["task", "attempts", victim, "-o", "json"]) as? [String: Any])
            let outcomes = (victimAttempts["attempts"] as? [[String: Any]])?.map { $0["outcome"] as? String }
            #expect(outcomes == ["internal_error", "succeeded"], "\(victimAttempts)")
            #expect(
                ((victimAttempts["attempts"] as? [[String: Any]])?.first?["message"] as? String)?.contains("cannot prepare the workspace") == true
            )
            #expect(try await errand.state(waiting) == "completed")
        }
    }

    @Test func aRecordThatCannotBeReadBecomesADeadLetterAndComesBackOnceFixed() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let ids = try await errand.ok(["add-task", "default", "-f", "-"], stdin: "payload: one\n---\npayload: two\n---\npayload: three\n")
                .split(separator: "\n").map(String.init)
            let database = try errand.openDatabase()
            try await database.write { db in
                try db.execute(sql: "UPDATE errand_task SET tags = 'oops' WHERE id = ?", arguments: [ids[1]])
            }
            #expect(try await Self.drain(errand) == 0, "\(errand.nodeLogs())")
            #expect(try await errand.tasks(["--state", "completed"]).count == 2)
            let letters = try #require(try await errand.json(["task", "list", "--state", "deadletter", "-o", "json"]) as? [[String: Any]])
            #expect(letters.count == 1 && (letters.first?["error"] as? String)?.contains("tags") == true)
            let letter = try #require(letters.first?["id"] as? String)
            let yaml = try await errand.ok(["get-task", "default", "--state", "deadletter", "-o", "yaml"])
            #expect(yaml.contains("body:") && yaml.contains("error:") && yaml.contains(ids[1]))

            let again = try await errand.run(["task", "redrive", letter])
            #expect(again.status == 2 && again.stderr.contains("still cannot be read"), "\(again.stderr)")
            var body = try #require(try JSONSerialization.jsonObject(with: Data((letters.first?["body"] as? String ?? "").utf8)) as? [String: Any])
            body["tags"] = "[]"
            let fixed = directory.appendingPathComponent("fixed.json")
            try JSONSerialization.data(withJSONObject: body).write(to: fixed)
            #expect(try await errand.ok(["task", "redrive", letter, "-f", fixed.path]) == "\(ids[1]) pending")
            #expect(try await errand.json(["task", "list", "--state", "deadletter", "-o", "json"]) as? [Any] != nil)
            #expect((try await errand.json(["task", "list", "--state", "deadletter", "-o", "json"]) as? [Any])?.isEmpty == true)
            #expect(try await Self.drain(errand) == 0, "\(errand.nodeLogs())")
            #expect(try await errand.state(ids[1]) == "completed")
        }
    }

    @Test func aSignalledWorkerStopsItsChildrenAndTheTaskRunsAgainWithoutUsingAnAttempt() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let pidFile = directory.appendingPathComponent("child.pid").path
            let script = try errand.script("long.sh", "echo $$ > \(pidFile)\nsleep 300\n")
            let id = try await errand.ok(["add-task", "default", "-f", "-"], stdin: "payload: long\n")
            let worker = try errand.serve(["--grace", "0.5", "--kill-grace", "1", "--", script.path], command: "worker")
            let running = try await eventually(timeout: 30, every: 0.1, "task running") {
                try await errand.state(id) == "running" && FileManager.default.fileExists(atPath: pidFile)
            }
            #expect(running, "\(errand.nodeLogs())")
            worker.terminate()
            #expect(await worker.waitForExit(timeout: 30) == 0, "\(errand.nodeLogs())")
            let task = try await Self.task(errand, id)
            #expect(task["state"] as? String == "pending" && task["attempt"] as? Int == 1)
            #expect(try await Self.attempts(errand, id).map { $0["outcome"] as? String } == ["signaled"])
            let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(pid, 0) == -1, "the handler \(pid) outlived its worker")
            let workers = try #require(try await errand.json(["worker", "list", "-o", "json"]) as? [[String: Any]])
            #expect(workers.first?["state"] as? String == "succeeded")
        }
    }

    @Test func exitOnSuspendExitsZeroOnceTheQueueIsSuspended() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["create-queue", "batch"])
            let worker = try errand.serve(["--queue", "batch", "--exit-on-suspend", "--", Self.handler], command: "worker")
            let registered = try await eventually(timeout: 30, every: 0.1, "worker registered") {
                (try await errand.json(["worker", "list", "--state", "running", "-o", "json"]) as? [Any])?.count == 1
            }
            #expect(registered)
            #expect(worker.isRunning)
            _ = try await errand.ok(["suspend-queue", "batch"])
            #expect(await worker.waitForExit(timeout: 30) == 0, "\(errand.nodeLogs())")
            #expect(errand.nodeLogs().contains("its queues are suspended (exit_on_suspend)"))
        }
    }

    @Test func aHandlerThatCannotStartFailsItsAttemptAndTheWorkerGoesOn() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let text = "read -r ws\necho done > \"$ws/output/payload\"\n"
            let script = try errand.script("handler.sh", text)
            let worker = try errand.serve(["--", script.path], command: "worker")
            defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
            // Past its start-up check (the command exists), the command goes away.
            let registered = try await eventually(timeout: 30, every: 0.1, "worker registered") {
                (try await errand.json(["worker", "list", "--state", "running", "-o", "json"]) as? [Any])?.count == 1
            }
            #expect(registered, "\(errand.nodeLogs())")
            try FileManager.default.removeItem(at: script)
            let broken = try await errand.ok(["add-task", "default", "-f", "-"], stdin: "payload: a\n")
            let failed = try await eventually(timeout: 30, every: 0.1, "attempt failed") { try await errand.state(broken) == "failed" }
            #expect(failed, "\(errand.nodeLogs())")
            let task = try await Self.task(errand, broken)
            #expect(try await Self.attempts(errand, broken).first?["outcome"] as? String == "internal_error")
            #expect((task["last_error"] as? String)?.contains("cannot start \(script.path)") == true, "\(task)")
            try errand.script("handler.sh", text)
            let next = try await errand.ok(["add-task", "default", "-f", "-"], stdin: "payload: b\n")
            #expect(try await errand.ok(["task", "wait", next, "--timeout", "30"]) == #""done\n""#)
            worker.terminate()
            #expect(await worker.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
        }
    }

    @Test func aPftaskqueueJobsVariablesChooseItsQueueNameAndTimingsAndUnusedOnesAreReported() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            for queue in ["test", "other"] { _ = try await errand.ok(["create-queue", queue]) }
            let mine = try await errand.ok(["add-task", "test", "-f", "-"], stdin: "payload: mine\n")
            let theirs = try await errand.ok(["add-task", "other", "-f", "-"], stdin: "payload: theirs\n")
            // A Kubernetes Job's env: as pftaskqueue's README writes it, and its Redis password.
            let environment = [
                "PFTQ_WORKER_QUEUENAME": "test", "PFTQ_WORKER_NAME": "job-pod-1", "PFTQ_WORKER_EXITONEMPTY": "True",
                "PFTQ_WORKER_EXITONEMPTYGRACEPERIOD": "1s", "PFTQ_WORKER_HEARTBEAT_INTERVAL": "500ms", "PFTQ_REDIS_PASSWORD": "secret",
                "PFTQ_WORKER_QUEUE_NAME": "typo",
            ]
            let worker = try errand.serve(["--", Self.handler], command: "start-worker", environment: environment)
            #expect(await worker.waitForExit(timeout: 60) == 0, "\(errand.nodeLogs())")
            #expect(try await errand.state(mine) == "completed", "\(errand.nodeLogs())")
            #expect(try await errand.state(theirs) == "pending", "the worker claimed a queue that is not its own")
            let attempts = try await Self.attempts(errand, mine)
            #expect((attempts.first?["worker"] as? String)?.hasPrefix("job-pod-1") == true, "\(attempts)")
            let logs = errand.nodeLogs(lines: 200)
            #expect(logs.contains("PFTQ_REDIS_PASSWORD is pftaskqueue's Redis backend setting"), "\(logs)")
            #expect(logs.contains("PFTQ_WORKER_QUEUE_NAME is set but no pftaskqueue setting"), "\(logs)")
            #expect(!logs.contains("secret"), "a password was printed")

            let bad = try await ErrandBinary.runProgram(
                ErrandBinary.executable,
                ["start-worker"] + errand.storeArguments + ["--", Self.handler],
                environment: ["PFTQ_WORKER_HEARTBEAT_INTERVAL": "fast"]
            )
            #expect(bad.status == 2 && bad.stderr.contains("PFTQ_WORKER_HEARTBEAT_INTERVAL: \"fast\" is not a duration"), "\(bad.stderr)")
        }
    }

    @Test func startWorkerTakesPftaskqueuesFlagSpellings() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            for queue in ["test", "other"] { _ = try await errand.ok(["create-queue", queue]) }
            let mine = try await errand.ok(["add-task", "test", "-f", "-"], stdin: "payload: mine\n")
            let theirs = try await errand.ok(["add-task", "other", "-f", "-"], stdin: "payload: theirs\n")
            // As pftaskqueue's cobra flags are written: Go booleans after `=`, Go durations, its own names.
            let flags = [
                "--queue-name", "test", "--exit-on-empty=true", "--exit-on-suspend=false", "--exit-on-empty-grace-period=1s",
                "--heartbeat-interval", "500ms", "--heartbeat-expiration-duration=5s", "--heartbeat-salvage-duration", "1m0s",
                "--default-command-timeout", "30m0s", "--cleanup-workspace-dir=true", "--num-worker-salvage-on-startup", "-1",
            ]
            let worker = try errand.serve(flags + ["--", Self.handler], command: "start-worker")
            #expect(await worker.waitForExit(timeout: 60) == 0, "\(errand.nodeLogs())")
            #expect(try await errand.state(mine) == "completed", "\(errand.nodeLogs())")
            #expect(try await errand.state(theirs) == "pending", "the worker claimed a queue that is not its own")
            let bad = try await errand.run(["start-worker", "--exit-on-empty=maybe", "--", Self.handler])
            #expect(bad.status == 2 && bad.stderr.contains("--exit-on-empty: \"maybe\" is not true or false"), "\(bad.stderr)")
            let badDuration = try await errand.run(["start-worker", "--heartbeat-interval", "soon", "--", Self.handler])
            #expect(badDuration.status == 2 && badDuration.stderr.contains("is not a duration"), "\(badDuration.stderr)")
        }
    }
}
