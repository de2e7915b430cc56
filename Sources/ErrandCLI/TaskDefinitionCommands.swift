import ArgumentParser
import Errand
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
        print(try await store.client().start(definition, arguments: args).id)
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
        let views = page.tasks.map { TaskView($0) }
        try Output.print(views, as: output) { Output.table(TaskView.tableHeader, views.map(\.tableRow)) }
    }
}
