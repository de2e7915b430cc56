import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

@testable import ErrandProcess

/// The workspace of one attempt: inputs written as pftaskqueue lays them out, outputs read back with their limits.
@Suite(.timeLimit(.minutes(5))) struct WorkspaceTests {
    static func task(arguments: String = #""hello""#, maxAttempts: Int = 3) -> TaskRecord {
        let now = Date()
        var task = TaskTransition.enqueue(
            NewTask(handler: TaskSpec.processHandler, arguments: arguments, retry: RetryPolicy(maxAttempts: maxAttempts), name: "n"),
            id: TaskIDGenerator.shared.next(now: now),
            now: now
        )
        task.attempt = 2
        return task
    }

    @Test func inputsAreFilesAndVariables() async throws {
        try await TemporaryDirectory.with { directory in
            let configuration = ProcessWorkerConfiguration(command: ["cat"], name: "pod", workDirectory: directory.path)
            let task = Self.task(maxAttempts: RetryPolicy.unlimited)
            let workspace = try Workspace(task: task, timeout: 90.5, configuration: configuration)
            func file(_ name: String) throws -> String { try String(contentsOfFile: "\(workspace.path)/\(name)", encoding: .utf8) }
            #expect(workspace.path == "\(directory.path)/\(configuration.id)/\(task.id)-2")
            #expect(try file("input/payload") == "hello")
            #expect(try file("input/retryLimit") == "-1")
            #expect(try file("input/timeoutSeconds") == "91")
            #expect(try file("input/meta/taskUID") == task.id.rawValue)
            #expect(try file("input/meta/processUID") == "\(task.id)-2")
            #expect(try file("input/meta/workerName") == "pod")
            #expect(try file("input/meta/workerUID") == configuration.id)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(try file("input/meta/task.json").utf8)) as? [String: Any])
            #expect((json["spec"] as? [String: Any])?["payload"] as? String == "hello" && json["uid"] as? String == task.id.rawValue)
            // Errand's part is the task as the HTTP API shows it.
            let api = try #require(try JSONSerialization.jsonObject(with: Data(Representation.task(task).text.utf8)) as? [String: Any])
            func canonical(_ object: [String: Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try canonical(json.filter { !["uid", "parentUID", "spec", "status"].contains($0.key) }) == canonical(api))
            #expect(FileManager.default.fileExists(atPath: "\(workspace.path)/output"))
            for prefix in ["ERRAND_TASK_HANDLER_INPUT_", "PFTQ_TASK_HANDLER_INPUT_"] {
                #expect(workspace.environment[prefix + "PAYLOAD"] == "hello" && workspace.environment[prefix + "RETRY_LIMIT"] == "-1")
            }
            #expect(workspace.environment["PFTQ_TASK_HANDLER_WORKSPACE_DIR"] == workspace.path)
            // A payload too big for the environment is only in its file.
            let big = Self.task(arguments: "\"" + String(repeating: "x", count: Workspace.environmentValueLimit + 1) + "\"")
            let bigWorkspace = try Workspace(task: big, timeout: 1, configuration: configuration)
            #expect(bigWorkspace.environment["PFTQ_TASK_HANDLER_INPUT_PAYLOAD"] == nil)
            #expect(try String(contentsOfFile: "\(bigWorkspace.path)/input/payload", encoding: .utf8).count == Workspace.environmentValueLimit + 1)
        }
    }

    @Test func outputsAreReadCutAndMarked() async throws {
        try await TemporaryDirectory.with { directory in
            let task = Self.task()
            let output = directory.appendingPathComponent("output")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try Data(String(repeating: "é", count: 100).utf8).write(to: output.appendingPathComponent("payload"))
            try Data(#"{"ok": true}"#.utf8).write(to: output.appendingPathComponent("message"))
            try Data(#"[{"payload": "next", "name": "child"}]"#.utf8).write(to: output.appendingPathComponent("postHooks.json"))
            let read = try WorkspaceOutput(workspace: directory.path, task: task, limit: 51)
            // 51 bytes end inside a two-byte character: it is dropped rather than split.
            let result = try #require(try JSONSerialization.jsonObject(with: Data((read.result ?? "").utf8), options: .fragmentsAllowed) as? String)
            #expect(result == String(repeating: "é", count: 25) + "…[truncated: 200 bytes in all, 51 kept]")
            #expect(read.message == #"{"ok": true}"#)
            #expect(read.followUps.map(\.name) == ["child"] && read.followUps.first?.queue == task.queue)
            #expect(read.followUps.first?.handler == TaskSpec.processHandler)

            try Data(#"[{"payload": "x", "queue": "elsewhere"}]"#.utf8).write(to: output.appendingPathComponent("postHooks.json"))
            #expect(throws: OutputError.self) { try WorkspaceOutput(workspace: directory.path, task: task, limit: 1000) }
            try Data(#"{"payload": "not a list"}"#.utf8).write(to: output.appendingPathComponent("postHooks.json"))
            do {
                _ = try WorkspaceOutput(workspace: directory.path, task: task, limit: 1000)
                Issue.record("a postHooks.json that is not a list was accepted")
            } catch {
                #expect("\(error)" == "postHooks.json must be a JSON array of task specs")
            }
        }
    }
}
