import ArgumentParser
import Errand
import ErrandCore
import ErrandStore
import Foundation

/// `errand worker`: run tasks with the built-in handlers, or with a child process per task (`-- CMD ARGS`).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run tasks: each with a child process of CMD (`errand worker -- CMD ARGS`), or with the built-in handlers.",
        discussion: """
            With `-- CMD ARGS` (or `worker.command` in the configuration file) the worker claims tasks of the handler \
            errand.process (what tasks added without a handler get; change it with --handler) and runs CMD once per \
            attempt, pftaskqueue's handler protocol: a workspace directory with input/ and output/, its path on CMD's \
            standard input, the inputs as ERRAND_TASK_HANDLER_INPUT_* and PFTQ_TASK_HANDLER_INPUT_* variables; exit \
            status 0 succeeds; output/payload, output/message and output/postHooks.json are the result, the message \
            and follow-up tasks. See docs/workers.md.

            Without a command it runs the built-in handlers. Start as many workers as you like on one PostgreSQL \
            store; every node stands for leader (rescuer, janitor, scheduler) unless --no-lead.

            Settings resolve as: flag, then ERRAND_WORKER_* (e.g. ERRAND_WORKER_CONCURRENCY), then the worker: \
            section of --config, then the default. SIGINT or SIGTERM stops claiming, gives running attempts --grace \
            seconds, then stops them (they end `signaled` and run again without using an attempt).
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var node: NodeOptions
    @OptionGroup var process: ProcessWorkerOptions
    @Flag(help: "Never lead: only run tasks.") var noLead = false
    @Argument(parsing: .postTerminator, help: "The handler command and its arguments, after `--` (no shell).")
    var command: [String] = []

    func run() async throws {
        let logger = node.logger
        var settings = try node.settings()
        settings.leads = !noLead
        let file = try node.configPath.map(ConfigCommand.load)?.worker ?? WorkerSettings()
        let resolved = try process.resolve(command: command, file: file, queues: node.queue)
        settings.dispatcher.stopWhen = resolved.stopWhen
        if !resolved.queues.isEmpty { settings.dispatcher.queues = resolved.queues }
        let opened = try await store.open()
        try await Self.requireQueues(settings.dispatcher.queues, in: opened)
        let errand: ErrandNode
        if let configuration = resolved.process {
            if node.capacity == nil, ProcessInfo.processInfo.environment["ERRAND_CAPACITY"] == nil {
                settings.dispatcher.capacity = resolved.concurrency
            }
            settings.dispatcher.defaultTimeout = configuration.defaultTimeout
            if node.worker == nil { settings.dispatcher.worker = "\(configuration.name):\(ProcessInfo.processInfo.processIdentifier)" }
            try ProcessWorkerOptions.check(configuration)
            errand = ErrandNode(
                store: opened,
                runner: ProcessRunner(configuration: configuration, logger: logger),
                configuration: settings,
                logger: logger
            )
        } else {
            errand = ErrandNode(store: opened, handlers: .withBuiltins(), configuration: settings, logger: logger)
        }
        try await node.run(errand, role: "working on", store: store, logger: logger)
        if let reason = errand.dispatcher.stopReason, reason != .shutdown {
            FileHandle.standardError.write(Data("errand: worker stopped: \(reason.description)\n".utf8))
        }
    }

    /// Fails before anything is claimed when a named queue does not exist.
    static func requireQueues(_ names: [String], in store: any TaskStore) async throws {
        guard !names.isEmpty else { return }
        let known = Set(try await store.queues().map(\.name))
        if let missing = names.first(where: { !known.contains($0) }) {
            throw CLIFailure("no queue named \(missing) (create it with: errand queue create \(missing))", exitCode: CLIFailure.badInput)
        }
    }
}
