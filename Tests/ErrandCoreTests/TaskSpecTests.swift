import ErrandCore
import Foundation
import Testing

/// Task specs as `errand task add -f`, `add-task` and `output/postHooks.json` give them.
@Suite(.timeLimit(.minutes(5))) struct TaskSpecTests {
    let defaults = NewTask(handler: "", queue: "batch")

    @Test func pftaskqueueKeysMapOntoTheTask() throws {
        let tasks = try TaskSpec.tasks(
            in: [
                ["name": "first", "payload": "hello world", "retryLimit": 3, "timeoutSeconds": 100] as [String: Any],
                ["payload": "x", "retryLimit": -1],
                ["payload": 42],
            ],
            defaults: defaults
        )
        #expect(tasks.map(\.handler) == [TaskSpec.processHandler, TaskSpec.processHandler, TaskSpec.processHandler])
        #expect(tasks.map(\.queue) == ["batch", "batch", "batch"])
        #expect(tasks[0].arguments == #""hello world""#)
        #expect(TaskSpec.payload(ofArguments: tasks[0].arguments) == "hello world")
        #expect(tasks[0].name == "first" && tasks[0].timeout == 100 && tasks[0].retry.maxAttempts == 4)
        #expect(tasks[1].retry.maxAttempts == RetryPolicy.unlimited && tasks[1].timeout == nil)
        // pftaskqueue's default is no retry; a number payload is its text.
        #expect(tasks[2].retry.maxAttempts == 1 && TaskSpec.payload(ofArguments: tasks[2].arguments) == "42")
    }

    @Test func errandKeysStillWorkAndAPayloadIsItsOwnText() throws {
        let task = try #require(
            try TaskSpec.tasks(in: ["handler": "errand.echo", "args": ["a": 1], "timeout": 2.5] as [String: Any], defaults: defaults).first
        )
        #expect(task.handler == "errand.echo" && task.arguments == #"{"a":1}"# && task.timeout == 2.5)
        #expect(task.retry.maxAttempts == RetryPolicy.default.maxAttempts)
        #expect(TaskSpec.payload(ofArguments: #"{"a":1}"#) == #"{"a":1}"#)
    }

    @Test(arguments: [
        (#"{"payload": "x", "args": [1]}"#, "payload"),
        (#"{"payload": "x", "retryLimit": "3"}"#, "retryLimit"),
        (#"{"payload": ["no"]}"#, "payload"),
        (#"{"name": "\#(String(repeating: "n", count: 1025))"}"#, "name"),
        (#"{"timeout": 0}"#, "timeout"),
        (#"{"payload": "\#(String(repeating: "p", count: NewTask.maxArgumentsBytes))"}"#, "arguments"),
        (#"{"max_attempts": 0}"#, "retry.max_attempts"),
    ])
    func badSpecsNameTheField(spec: String, field: String) throws {
        let document = try JSONSerialization.jsonObject(with: Data("[\(spec)]".utf8))
        do {
            _ = try TaskSpec.tasks(in: document, defaults: defaults)
            Issue.record("accepted \(spec.prefix(60))")
        } catch let error as InvalidField {
            #expect(error.field == "[0].\(field)", "\(error)")
        }
    }

    @Test func unlimitedAttemptsAlwaysAllowAnother() {
        let policy = RetryPolicy(maxAttempts: RetryPolicy.unlimited)
        #expect((try? policy.validate()) != nil)
        #expect(policy.allowsAnotherAttempt(after: 1_000_000))
        #expect(throws: InvalidField.self) { try RetryPolicy(maxAttempts: -2).validate() }
    }

    @Test func theWorkerSectionIsReadAndCheckedWithPaths() throws {
        let config = try ErrandConfig(document: [
            "worker": [
                "queue": "batch", "concurrency": 4, "command": ["./handle.sh", "--fast"], "default_timeout": 60,
                "exit_on_empty": true, "exit_on_empty_grace_period": 0, "num_tasks": 10, "cleanup_workspace": true,
            ] as [String: Any]
        ])
        #expect(config.worker.queue == "batch" && config.worker.concurrency == 4)
        #expect(config.worker.command == ["./handle.sh", "--fast"] && config.worker.defaultTimeout == 60)
        #expect(config.worker.exitOnEmpty == true && config.worker.exitOnEmptyGracePeriod == 0 && config.worker.numTasks == 10)
        #expect(config.worker.cleanupWorkspace == true && config.worker.name == nil)
        for (bad, field) in [
            (["concurrency": 0] as [String: Any], "worker.concurrency"), (["command": []], "worker.command"),
            (["colour": "red"], "worker.colour"), (["default_timeout": -1], "worker.default_timeout"),
        ] {
            #expect(throws: ConfigProblems.self) { try ErrandConfig(document: ["worker": bad]) }
            do { _ = try ErrandConfig(document: ["worker": bad]) } catch { #expect(error.problems.first?.field == field) }
        }
    }
}
