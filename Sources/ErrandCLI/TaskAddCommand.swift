import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandProcess
import ErrandStore
import Foundation

/// `errand task add`: enqueue one task from flags, or a batch from a YAML/JSON spec.
struct TaskAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Enqueue tasks and print their ids.",
        discussion: """
            With -f, tasks come from a YAML or JSON file (or - for stdin): one task, a list, or {tasks: [...]}; JSON Lines
            (one task per line, as jq -c prints them) and YAML documents separated by --- are lists too. Flags given
            alongside are defaults for fields the spec leaves out. A batch is stored whole or not at all.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Handler to run, e.g. errand.echo.") var handler: String?
    @Option(help: "Arguments as JSON text.") var args: String?
    @Option(help: "Queue.") var queue: String?
    @Option(help: "Priority, 0 (claimed first) to 9.") var priority: Int?
    @Option(help: "Earliest start, ISO 8601 (e.g. 2026-11-24T12:00:00Z).") var runAt: String?
    @Option(help: "Earliest start, in seconds from now.") var runIn: Double?
    @Option(help: "Attempts in all, the first included.") var maxAttempts: Int?
    @Option(help: "Seconds before the first retry.") var retryDelay: Double?
    @Option(help: "Factor applied to the delay for each further retry.") var retryDelayFactor: Double?
    @Option(help: "Longest delay between retries, seconds.") var retryMaxDelay: Double?
    @Option(help: "Random spread of each delay, 0 to 1.") var retryJitter: Double?
    @Option(name: .customLong("ttr"), help: "Lease length (time_to_resolve) in seconds.") var timeToResolve: Double?
    @Option(help: "Return the unfinished task holding this key instead of adding another.") var idempotencyKey: String?
    @Option(help: "Label (repeatable).") var tag: [String] = []
    @Option(help: "A tag a worker must have to take it, e.g. gpu (repeatable; riaktq's tags).") var requires: [String] = []
    @Option(help: "Parent task id: the task joins its tree, and the parent awaits it.") var parent: String?
    @Option(help: "Module (a group of task trees, e.g. repair).") var module: String?
    @Option(help: "The operation, e.g. repair (the task manager's type).") var type: String?
    @Option(help: "The part of the operation it covers, e.g. keyspace.") var scope: String?
    @Option(help: "Keyspace (or database) it works on.") var keyspace: String?
    @Option(help: "Table it works on.") var table: String?
    @Flag(help: "A sub-task: module listings leave it out and its finished tree folds it.") var `internal` = false
    @Flag(help: "Refuse aborts: the task runs until it finishes.") var notAbortable = false
    @Option(name: [.short, .customLong("file")], help: "YAML or JSON task spec file, or - for stdin.") var file: String?
    @Flag(help: "Accept handler names this binary does not know (run by another worker).") var anyHandler = false
    @Option(name: [.short, .long], help: "Output: ids (default), yaml, json or table.") var output: OutputFormat?

    func run() async throws {
        let defaults = try self.defaults()
        let tasks: [NewTask]
        if let file {
            tasks = try TaskSpec.tasks(in: try SpecDocument.parse(try readSpec(file)), defaults: defaults)
        } else {
            guard handler != nil else { throw CLIFailure("give --handler, or a task spec with -f FILE", exitCode: CLIFailure.badInput) }
            tasks = [defaults]
        }
        try await add(tasks)
    }

    /// The task the options describe: what every task of a spec file starts from.
    func defaults() throws -> NewTask {
        // Started by a person: once finished, kept for the user TTL.
        var defaults = NewTask(handler: handler ?? "", isUserTask: true)
        if let args { defaults.arguments = args }
        if let queue { defaults.queue = queue }
        if let priority { defaults.priority = priority }
        if let runAt {
            guard let date = ISOTime.instant(runAt) else {
                throw CLIFailure("--run-at: \"\(runAt)\" is not an ISO 8601 time such as 2026-11-24T12:00:00Z", exitCode: CLIFailure.badInput)
            }
            defaults.runAt = date
        }
        if let runIn { defaults.runAt = Date().addingTimeInterval(runIn) }
        if let maxAttempts { defaults.retry.maxAttempts = maxAttempts }
        if let retryDelay { defaults.retry.delay = retryDelay }
        if let retryDelayFactor { defaults.retry.delayFactor = retryDelayFactor }
        if let retryMaxDelay { defaults.retry.maxDelay = retryMaxDelay }
        if let retryJitter { defaults.retry.jitter = retryJitter }
        if let timeToResolve { defaults.timeToResolve = timeToResolve }
        defaults.idempotencyKey = idempotencyKey
        defaults.tags = tag
        defaults.requires = requires
        defaults.parentID = try parent.map(parseTaskID)
        defaults.module = module
        defaults.type = type
        defaults.scope = scope
        defaults.keyspace = keyspace
        defaults.table = table
        defaults.isInternal = `internal`
        defaults.isAbortable = !notAbortable
        return defaults
    }

    /// Checks the tasks' handlers (unless --any-handler), enqueues them in one transaction (into suspended queues
    /// too with `intoSuspendedQueues`) and prints them.
    func add(_ tasks: [NewTask], intoSuspendedQueues: Bool = false) async throws {
        let known = HandlerRegistry.standard().names + [TaskSpec.processHandler]
        for (index, task) in tasks.enumerated() where !anyHandler && !known.contains(task.handler) {
            let which = tasks.count > 1 ? "task \(index): " : ""
            throw CLIFailure(
                "\(which)unknown handler \"\(task.handler)\"; errand runs \(known.joined(separator: ", ")) (pass --any-handler for handlers run elsewhere)",
                exitCode: CLIFailure.badInput
            )
        }
        let results = try await store.client().enqueue(tasks, intoSuspendedQueues: intoSuspendedQueues)
        for result in results where !result.isNew {
            FileHandle.standardError.write(Data("task \(result.task.id) already holds idempotency key \(result.task.idempotencyKey ?? "")\n".utf8))
        }
        guard let output else {
            for result in results { print(result.task.id) }
            return
        }
        let added = results.map(\.task)
        try Output.print(.array(added.map(Representation.task)), as: output) { Output.table(Tables.taskHeader, added.map { Tables.task($0) }) }
    }

    func readSpec(_ file: String) throws -> String { try Self.readSpec(file) }

    /// The text of a spec file, or of stdin for `-`, as UTF-8; `what` names it in errors.
    static func readSpec(_ file: String, what: String = "task spec") throws -> String {
        let data: Data
        if file == "-" {
            do {
                data = try FileHandle.standardInput.readUntilEnd()
            } catch {
                throw CLIFailure("cannot read the \(what) from stdin: \(error)", exitCode: CLIFailure.badInput)
            }
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw CLIFailure("cannot read \(what) file \(file)", exitCode: CLIFailure.badInput)
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIFailure("\(what) \(file) is not UTF-8 text", exitCode: CLIFailure.badInput)
        }
        return text
    }
}
