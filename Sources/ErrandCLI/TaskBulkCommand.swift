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
    @OptionGroup var more: TaskFilterOptions

    var isEmpty: Bool { state.isEmpty && queue == nil && handler == nil && module == nil && more.isEmpty }

    var query: TaskQuery {
        get throws {
            var query = TaskQuery(queue: queue, states: try parseStates(state), handler: handler, module: module)
            try more.apply(to: &query)
            return query
        }
    }
}

/// The filters `task list` and the bulk actions share beyond state, queue, handler and module.
struct TaskFilterOptions: ParsableArguments {
    @Option(help: "Only tasks with this tag.") var tag: String?
    @Option(help: "Only tasks created at or after this time (ISO 8601; without an offset, the local zone's).") var createdAfter: String?
    @Option(help: "Only tasks created before this time (ISO 8601; without an offset, the local zone's).") var createdBefore: String?
    @Option(help: "Only tasks whose arguments' JSON contains this text.") var text: String?
    @Option(help: "Only tasks with this idempotency key (finished ones too).") var idempotencyKey: String?

    var isEmpty: Bool { tag == nil && createdAfter == nil && createdBefore == nil && text == nil && idempotencyKey == nil }

    /// Sets these filters on `query`.
    /// - Throws: ``CLIFailure`` (exit 2) for a time that does not read or an empty text.
    func apply(to query: inout TaskQuery) throws {
        func time(_ text: String?, _ option: String) throws -> Date? {
            guard let text else { return nil }
            guard let date = ISOTime.parse(text, in: .current) else {
                throw CLIFailure("\(option) \(text): not an ISO 8601 time (2026-12-07T09:30:00Z)", exitCode: CLIFailure.badInput)
            }
            return date.wholeMilliseconds
        }
        if text == "" || tag == "" || idempotencyKey == "" {
            throw CLIFailure("--text, --tag and --idempotency-key need a non-empty value", exitCode: CLIFailure.badInput)
        }
        query.tag = tag
        query.idempotencyKey = idempotencyKey
        query.text = text
        query.createdAfter = try time(createdAfter, "--created-after")
        query.createdBefore = try time(createdBefore, "--created-before")
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
            throw CLIFailure(
                "give a task id or a filter (--state, --queue, --handler, --module, --tag, --created-after, --created-before, --text, --idempotency-key), not both",
                exitCode: CLIFailure.badInput
            )
        case (nil, true):
            throw CLIFailure(
                "give a task id, or a filter (--state, --queue, --handler, --module, --tag, --created-after, --created-before, --text, --idempotency-key) to \(kind.rawValue) every matching task",
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
