import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// The filter of `errand task retry|cancel` given without a task id: the action applies to every matching task.
struct BulkFilterOptions: ParsableArguments {
    @Option(help: "Every task in this state (repeatable), instead of one task id.") var state: [String] = []
    @Option(help: "Every matching task of this queue.") var queue: String?
    @Option(help: "Every matching task of this handler.") var handler: String?
    @Option(help: "Every matching launch of this task definition (module).") var module: String?

    var isEmpty: Bool { state.isEmpty && queue == nil && handler == nil && module == nil }

    var query: TaskQuery {
        get throws {
            TaskQuery(queue: queue, states: try parseStates(state), handler: handler, module: module)
        }
    }
}

/// `task retry ID` / `task cancel ID` act on one task; with a filter instead, on every matching task, as a bulk
/// action (``BulkAction``): in this process on a store, or on the server with `--server` (as an `errand.bulk` task,
/// whose progress is printed as it goes). Either a task id or a filter, never both, never neither.
enum BulkCommand {
    static func run(_ kind: BulkAction.Kind, id: String?, filter: BulkFilterOptions, store: StoreOptions, single: (TaskID) async throws -> Void)
        async throws
    {
        switch (id, filter.isEmpty) {
        case (let id?, true): return try await single(try parseTaskID(id))
        case (_?, false):
            throw CLIFailure("give a task id or a filter (--state, --queue, --handler, --module), not both", exitCode: CLIFailure.badInput)
        case (nil, true):
            throw CLIFailure(
                "give a task id, or a filter (--state, --queue, --handler, --module) to \(kind.rawValue) every matching task",
                exitCode: CLIFailure.badInput
            )
        case (nil, false): break
        }
        let action = BulkAction(kind, filter: try filter.query)
        let outcome: String
        if let remote = try store.remote() {
            outcome = try await onServer(action, client: ErrandClient(store: remote))
        } else {
            let done = try await action.run(on: try await store.open()) { done, total in
                FileHandle.standardError.write(Data("\(kind.rawValue): \(done) of \(total)\n".utf8))
            }
            outcome = done.json(kind)
        }
        print(outcome)
    }

    /// Enqueues the action's task on the server and follows its progress until it ends; answers its result.
    private static func onServer(_ action: BulkAction, client: ErrandClient) async throws -> String {
        let task = try await client.enqueue(action.newTask()).task
        FileHandle.standardError.write(Data("\(action.kind.rawValue) runs on the server as task \(task.id)\n".utf8))
        var reported: Double?
        while true {
            guard let current = try await client.task(task.id) else {
                throw CLIFailure("the bulk task \(task.id) is gone", exitCode: CLIFailure.failed)
            }
            if let done = current.progressCompleted, done != reported {
                reported = done
                FileHandle.standardError.write(Data("\(action.kind.rawValue): \(Int(done)) of \(Int(current.progressTotal ?? done))\n".utf8))
            }
            if current.state.isFinal {
                guard current.state == .completed else {
                    throw CLIFailure(
                        "the bulk task \(task.id) \(current.state.rawValue): \(current.lastError ?? current.message ?? "no message")",
                        exitCode: CLIFailure.failed
                    )
                }
                return current.result ?? "null"
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// The states named on the command line.
/// - Throws: ``CLIFailure`` (exit 2) naming the states there are.
func parseStates(_ names: [String]) throws -> [TaskState] {
    try names.map { name in
        guard let state = TaskState(rawValue: name) else {
            throw CLIFailure(
                "unknown state \"\(name)\"; states are \(TaskState.allCases.map(\.rawValue).joined(separator: ", "))",
                exitCode: CLIFailure.badInput
            )
        }
        return state
    }
}
