import Errand
import ErrandCore
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Testing

@testable import ErrandProcess

/// A child process reports progress by writing `output/progress`; the runner records it on its task while it runs.
@Suite(.timeLimit(.minutes(5))) struct ProcessProgressTests {
    @Test func progressTextIsCompletedOrCompletedOverTotal() {
        #expect(ProcessRunner.progress("3") ?? (0, 0) == (3, nil))
        #expect(ProcessRunner.progress(" 2.5/10\n") ?? (0, 0) == (2.5, 10))
        for bad in ["", "x", "3/", "/4", "-1/4", "3/4/5", "nan", "inf/4"] { #expect(ProcessRunner.progress(bad) == nil, "\(bad)") }
    }

    @Test func aRunningChildProcessReportsItsProgressThroughTheStore() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("p.db").path)
            _ = try await store.enqueue([NewTask(handler: TaskSpec.processHandler, timeToResolve: 30)], now: Date())
            let task = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: Date())).first)
            // Each step waits for the test to have seen the one before (a file `go1`, `go2`), so that no report can
            // be skipped however slowly the watcher runs.
            let script = """
                read dir
                wait_for() { i=0; while [ ! -e "$dir/$1" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; }
                echo 3/10 > "$dir/output/progress"
                wait_for go1
                echo 10/10 > "$dir/output/progress"
                wait_for go2
                """
            let configuration = ProcessWorkerConfiguration(command: ["/bin/sh", "-c", script], name: "pod", workDirectory: directory.path)
            let workspace = "\(directory.path)/\(configuration.id)/\(task.id)-\(task.attempt)"
            let runner = ProcessRunner(configuration: configuration, store: store)
            let running = Task { await runner.run(task, worker: "w") }
            let first = try await eventually(timeout: 60, every: 0.1, "3 of 10 recorded") {
                try await store.task(task.id)?.progressCompleted == 3
            }
            #expect(first)
            #expect(try await store.task(task.id)?.progressTotal == 10)
            #expect(FileManager.default.createFile(atPath: "\(workspace)/go1", contents: nil))
            let second = try await eventually(timeout: 60, every: 0.1, "10 of 10 recorded") {
                try await store.task(task.id)?.progressCompleted == 10
            }
            #expect(second)
            #expect(FileManager.default.createFile(atPath: "\(workspace)/go2", contents: nil))
            #expect(await running.value.outcome == .succeeded)
        }
    }
}
