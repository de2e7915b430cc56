import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// `errand task …`: add, inspect, wait for, cancel and retry tasks.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Add, inspect, wait for, cancel, abort and retry tasks and task trees.",
        subcommands: [
            TaskAddCommand.self, TaskStartCommand.self, TaskHistoryCommand.self, TaskGetCommand.self, TaskAttemptsCommand.self,
            TaskListCommand.self, TaskWaitCommand.self,
            TaskTreeCommand.self, TaskStatusCommand.self, TaskCancelCommand.self, TaskAbortCommand.self, TaskBroadcastCommand.self,
            TaskRetryCommand.self, TaskDeleteCommand.self,
            TaskRedriveCommand.self, TaskEnableCommand.self, TaskDisableCommand.self,
        ]
    )
}

/// Parses a task id argument, failing with exit status 2.
func parseTaskID(_ text: String) throws -> TaskID {
    guard let id = TaskID(text) else { throw CLIFailure("\"\(text)\" is not a task id (a UUID)", exitCode: CLIFailure.badInput) }
    return id
}

struct TaskGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show one task, as GET /v1/tasks/{id} answers (its attempts: errand task attempts ID)."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .yaml

    func run() async throws {
        let id = try parseTaskID(id)
        let client = try await store.client()
        guard let task = try await client.task(id) else { throw StoreError.notFound(id) }
        let takers = try await client.takers()
        try Output.print(Representation.task(task, takers: takers), as: output) {
            Output.table(Tables.taskHeader, [Tables.task(task, takers: takers)])
        }
    }
}

struct TaskAttemptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attempts",
        abstract: "Show a task's launch log, oldest attempt first, as GET /v1/tasks/{id}/attempts answers."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .yaml

    func run() async throws {
        let id = try parseTaskID(id)
        let client = try await store.client()
        guard try await client.task(id) != nil else { throw StoreError.notFound(id) }
        let attempts = try await client.attempts(of: id)
        try Output.print(.object([("attempts", .array(attempts.map(Representation.attempt)))]), as: output) {
            Output.table(Tables.attemptHeader, attempts.map(Tables.attempt))
        }
    }
}

struct TaskListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tasks, newest first (or --oldest-first).")

    @OptionGroup var store: StoreOptions
    @Option(help: "Only tasks of this queue.") var queue: String?
    @Option(
        help:
            "Only tasks in this state (repeatable): \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")); or deadletter (records that could not be read)."
    )
    var state: [String] = []
    @Option(help: "Only tasks of this handler.") var handler: String?
    @Option(help: "Only children of this task.") var parent: String?
    @Option(help: "Only launches of this task definition (tasks of this module).") var module: String?
    @OptionGroup var more: TaskFilterOptions
    @Flag(help: "Oldest first; --after then continues towards newer tasks.") var oldestFirst = false
    @Flag(help: "The archived tasks (task_storage.archive_older_than) instead of the others.") var archived = false
    @Option(help: "At most this many tasks.") var limit: Int = 100
    @Option(help: "Continue after this task id (the last id of the previous page).") var after: String?
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

    func run() async throws {
        if state == ["deadletter"] {
            let letters = try await store.open().deadLetters(limit: limit)
            try Output.print(.array(letters.map(Representation.deadLetter)), as: output) {
                Output.table(Tables.deadLetterHeader, letters.map(Tables.deadLetter))
            }
            return
        }
        let states = try parseStates(state)
        var query = TaskQuery(
            queue: queue,
            states: states,
            handler: handler,
            parentID: try parent.map(parseTaskID),
            module: module,
            limit: limit,
            cursor: try after.map(parseTaskID),
            oldestFirst: oldestFirst,
            archived: archived
        )
        try more.apply(to: &query)
        let client = try await store.client()
        let page = try await client.list(query)
        let takers = try await client.takers()
        try Output.print(.array(page.tasks.map { Representation.task($0, takers: takers) }), as: output) {
            Output.table(Tables.taskHeader, page.tasks.map { Tables.task($0, takers: takers) })
        }
        if let next = page.nextCursor {
            FileHandle.standardError.write(Data("more tasks: --after \(next)\n".utf8))
        }
    }
}

struct TaskWaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for a task to finish and print its result.",
        discussion: "Exit status: 0 completed (result on stdout), 1 failed, cancelled or dead (error on stderr), 124 timed out."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Option(help: "Seconds to wait before giving up.") var timeout: Double = 60

    func run() async throws {
        let id = try parseTaskID(id)
        let task = try await store.client().wait(for: id, timeout: timeout)
        guard task.state == .completed else {
            throw CLIFailure("task \(id) \(task.state.rawValue): \(task.lastError ?? task.message ?? "no message")", exitCode: CLIFailure.failed)
        }
        print(task.result ?? "null")
    }
}

struct TaskCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a task that has not finished, or every task matching a filter.",
        discussion: "With a filter instead of an id (e.g. --queue q --state pending), every matching unfinished task is cancelled."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String?
    @OptionGroup var filter: BulkFilterOptions
    @Option(help: "Why, recorded as the task's message.") var reason: String?

    func run() async throws {
        try await BulkCommand.run(.cancel, id: id, filter: filter, store: store) { id in
            let task = try await store.client().cancel(id, reason: reason)
            print("\(task.id) \(task.state.rawValue)")
        }
    }
}

struct TaskRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a finished task once more, or every task matching a filter.",
        discussion: "With a filter instead of an id (e.g. --state failed --queue q), every matching finished task is retried."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String?
    @OptionGroup var filter: BulkFilterOptions

    func run() async throws {
        try await BulkCommand.run(.retry, id: id, filter: filter, store: store) { id in
            let task = try await store.client().retry(id)
            print("\(task.id) \(task.state.rawValue)")
        }
    }
}

struct TaskDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a finished root task with its tree, or every one matching a filter.",
        discussion: """
            A tree is deleted whole, from its root, once all of it has finished (what TTL pruning does when the time \
            comes); an unfinished task is refused (cancel it first). With a filter instead of an id (e.g. --state \
            failed --created-before 2026-12-01T00:00:00Z), every matching finished root is deleted.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String?
    @OptionGroup var filter: BulkFilterOptions

    func run() async throws {
        try await BulkCommand.run(.delete, id: id, filter: filter, store: store) { id in
            let deleted = try await store.open().delete(id)
            print("\(id) deleted (\(deleted) \(deleted == 1 ? "task" : "tasks"))")
        }
    }
}
