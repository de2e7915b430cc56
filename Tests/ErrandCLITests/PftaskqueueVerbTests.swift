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
            #expect(yaml.contains("state: completed") && yaml.contains("arguments: foo") && yaml.contains("timeout: 100"), "\(yaml)")
            #expect(yaml.components(separatedBy: "- id: ").count == 3)
            #expect(try await errand.json(["get-task", "foo", "--state", "pending", "-o", "json"]) as? [Any] != nil)
            #expect((try await errand.json(["get-task", "foo", "--state", "pending", "-o", "json"]) as? [Any])?.isEmpty == true)
            #expect(try await errand.ok(["suspend-queue", "foo"]) == "foo suspended")
            #expect(try await errand.ok(["get-queue-state", "foo"]) == "suspended")
            #expect(try await errand.ok(["resume-queue", "foo"]) == "foo active")
            #expect(try await errand.ok(["get-all-queues", "--output", "table"]).contains("paused"))
            #expect(try await errand.ok(["delete-queue", "foo"]) == "deleted queue foo and 2 tasks")
            #expect(try await errand.runBare(["print-default-config"]).stdout.contains("exit_on_empty:"))
            let unknownState = try await errand.run(["get-task", "paused", "--state", "sleepy"])
            #expect(unknownState.status == 2 && unknownState.stderr.contains("--state must be one of"))
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
