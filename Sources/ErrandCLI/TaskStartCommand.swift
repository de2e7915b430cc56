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
        guard let path = config ?? ProcessInfo.processInfo.environment["ERRAND_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CLIFailure("give the configuration file with --config FILE or ERRAND_CONFIG", exitCode: CLIFailure.badInput)
        }
        let file = try ConfigCommand.load(path)
        guard let definition = file.tasks[name] else {
            let known = file.definitions.map(\.name).joined(separator: ", ")
            throw CLIFailure("\(path) defines no task \"\(name)\"\(known.isEmpty ? "" : "; it defines \(known)")", exitCode: CLIFailure.badInput)
        }
        let task = definition.newTask(arguments: args)
        do { try task.validate() } catch { throw CLIFailure("--args: \(error.reason)", exitCode: CLIFailure.badInput) }
        print(try await store.client().enqueue(task).task.id)
    }
}
