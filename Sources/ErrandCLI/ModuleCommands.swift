import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// `errand module …`: the modules (groups of task trees) and their tasks.
struct ModuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "List modules and their tasks, and drain their finished trees.",
        subcommands: [ModuleListCommand.self, ModuleTasksCommand.self, ModuleDrainCommand.self]
    )
}

struct ModuleListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The modules that have tasks.")

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .long], help: "Output format: table (one name a line), yaml or json.") var output: OutputFormat = .table

    func run() async throws {
        let modules = try await store.client().modules()
        try Output.print(.array(modules.map { .string($0) }), as: output) { modules.joined(separator: "\n") }
    }
}

struct ModuleTasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "A module's tasks, newest first: its root tasks, or every task with --internal.",
        discussion: """
            Folded tasks (finished sub-tasks of a finished tree) are never listed; `task tree` shows them. -o json|yaml \
            print what /task_manager/list_module_tasks/MODULE answers.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Module name.") var module: String
    @Flag(help: "List children and internal tasks too.") var `internal` = false
    @Option(help: "At most this many tasks.") var limit: Int = 1_000
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

    func run() async throws {
        let client = try await store.client()
        let tasks = try await client.moduleTasks(module, internal: `internal`, limit: limit)
        if tasks.isEmpty, try await !client.modules().contains(module) {
            throw CLIFailure("no module named \(module); `errand module list` shows them", exitCode: CLIFailure.failed)
        }
        try Output.print(try await TaskManagerJSON.stats(of: tasks, client: client), as: output) {
            Output.table(
                ["ID", "STATE", "TYPE", "SCOPE", "KEYSPACE", "TABLE", "SEQ", "STARTED"],
                tasks.map { task in
                    [
                        task.id.rawValue, task.managerState, task.type ?? task.handler, task.scope ?? "", task.keyspace ?? "",
                        task.table ?? "", task.sequenceNumber.map(String.init) ?? "", task.startedAt?.iso8601 ?? "",
                    ]
                }
            )
        }
    }
}

struct ModuleDrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Delete a module's finished local task trees (those with every task finished)."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Module name.") var module: String

    func run() async throws {
        let deleted = try await store.client().drainModule(module)
        print("drained \(deleted) task\(deleted == 1 ? "" : "s") of module \(module)")
    }
}

/// `errand ttl get|set`: how long finished task trees are kept.
struct TTLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttl",
        abstract: "Show or set how long finished task trees are kept (for every node).",
        discussion: """
            The TTL applies to trees whose root code started, the user TTL (--user) to those a user started (CLI, \
            HTTP API, dashboard). Set at run time, a TTL is stored and every node's janitor uses it from its next \
            round, over the configured finished_ttl / user_task_ttl.
            """,
        subcommands: [TTLGetCommand.self, TTLSetCommand.self]
    )
}

struct TTLGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the TTL in seconds.",
        discussion: "With --server, the TTL in force on that server (set at run time, or its configured one)."
    )

    @OptionGroup var store: StoreOptions
    @Flag(help: "The user TTL.") var user = false
    @Option(help: "Configuration file whose TTLs apply when none was set at run time (default: $ERRAND_CONFIG).")
    var config: String?

    func run() async throws {
        if let remote = try store.remote() {
            print(Output.number(try await remote.ttlInForce(user: user)))
            return
        }
        if let seconds = try await store.openLocal().ttl(user: user) {
            print(Output.number(seconds))
            return
        }
        let storage = try ConfigCommand.path(flag: config).map(ConfigCommand.load)?.storage ?? ErrandConfig().storage
        let configured = user ? storage.userTaskTTL ?? storage.finishedTTL : storage.finishedTTL
        print("\(Output.number(configured)) (configured; none set at run time)")
    }
}

struct TTLSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set the TTL in whole seconds, for every node.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "Seconds (0 deletes finished trees at the next janitor round).") var seconds: Int
    @Flag(help: "Set the user TTL.") var user = false

    func run() async throws {
        if let remote = try store.remote() {
            try await remote.setTTL(seconds, user: user)
        } else {
            try await store.openLocal().setTTL(seconds, user: user, now: Date())
        }
        print("\(user ? "user ttl" : "ttl") \(seconds)")
    }
}
