import ArgumentParser
import Errand
import ErrandHTTP
import ErrandStore
import Foundation

/// `errand task start NAME`: launch a definition of the configuration file by name.
struct TaskStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Launch a task definition of the configuration file by name (single-shot ones, usually); prints the task id.",
        discussion: "The definition gives handler, queue, priority, retry policy and arguments; --args replaces the arguments."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The definition's name (a key under tasks: in the file).") var name: String
    @Option(help: "Configuration file (default: $ERRAND_CONFIG).") var config: String?
    @Option(help: "Arguments for this launch, as JSON (default: the definition's args).") var args: String?

    func run() async throws {
        guard let path = ConfigCommand.path(flag: config) else {
            throw CLIFailure("give the configuration file with --config FILE or ERRAND_CONFIG", exitCode: CLIFailure.badInput)
        }
        let file = try ConfigCommand.load(path)
        guard let definition = file.tasks[name] else {
            let known = file.definitions.map(\.name).joined(separator: ", ")
            throw CLIFailure("\(path) defines no task \"\(name)\"\(known.isEmpty ? "" : "; it defines \(known)")", exitCode: CLIFailure.badInput)
        }
        do { try definition.newTask(arguments: args).validate() } catch { throw CLIFailure("--args: \(error.reason)", exitCode: CLIFailure.badInput) }
        print(try await store.client().start(definition, arguments: args, byUser: true).id)
    }
}

/// `errand task history NAME`: the launch log of a task definition, newest first.
struct TaskHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the launches of a task definition, newest first (the last task_log_max_size finished ones are kept)."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The definition's name.") var name: String
    @Option(help: "At most this many launches.") var limit: Int = 100
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

    func run() async throws {
        let page = try await store.client().list(TaskQuery(module: name, limit: limit))
        try Output.print(.array(page.tasks.map(Representation.task)), as: output) {
            Output.table(Tables.taskHeader, page.tasks.map { Tables.task($0) })
        }
    }
}

/// `errand task enable|disable NAME`: turn a definition's schedule on or off for the whole cluster.
struct TaskEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Let the scheduler launch a task definition again (a periodical one catches up by its catch_up policy)."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The definition's name.") var name: String
    @Option(help: "Configuration file to check the name against (default: $ERRAND_CONFIG).") var config: String?

    func run() async throws {
        try await TaskDefinitionSwitch(store: store, name: name, config: config).set(enabled: true)
    }
}

struct TaskDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop the scheduler launching a task definition, on every node, until it is enabled again.",
        discussion: "A running instance of a continuous definition finishes; no new one starts. `task start` still launches it."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The definition's name.") var name: String
    @Option(help: "Configuration file to check the name against (default: $ERRAND_CONFIG).") var config: String?

    func run() async throws {
        try await TaskDefinitionSwitch(store: store, name: name, config: config).set(enabled: false)
    }
}

/// What enable and disable share: the name checked against the configuration file when there is one.
private struct TaskDefinitionSwitch {
    let store: StoreOptions
    let name: String
    let config: String?

    func set(enabled: Bool) async throws {
        if let path = ConfigCommand.path(flag: config) {
            let file = try ConfigCommand.load(path)
            guard file.tasks[name] != nil else {
                let known = file.definitions.map(\.name).joined(separator: ", ")
                throw CLIFailure("\(path) defines no task \"\(name)\"\(known.isEmpty ? "" : "; it defines \(known)")", exitCode: CLIFailure.badInput)
            }
        }
        try await store.open().setDefinitionEnabled(name, enabled, now: Date())
        print("\(name) \(enabled ? "enabled" : "disabled")")
    }
}
