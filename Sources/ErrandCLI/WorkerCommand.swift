import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandProcess
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

            Each worker registers itself and heartbeats; one whose heartbeat expires is `lost`, and after \
            --salvage-after the leader salvages it: the tasks it held run again. `errand worker list` shows them.
            """,
        subcommands: [WorkerListCommand.self]
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var node: NodeOptions
    @OptionGroup var process: ProcessWorkerOptions
    @Flag(help: "Never lead: only run tasks.") var noLead = false
    @Argument(parsing: .postTerminator, help: "The handler command and its arguments, after `--` (no shell).")
    var command: [String] = []

    func run() async throws { try await run(defaults: .errand) }

    /// Runs the worker with `defaults` for what no flag, variable or file sets (pftaskqueue's under `start-worker`).
    func run(defaults: ProcessWorkerOptions.Defaults) async throws {
        let logger = node.logger
        let file = try node.file()
        var settings = try node.settings(file: file)
        settings.leads = !noLead
        let resolved = try process.resolve(command: command, file: file.worker, queues: node.queue, defaults: defaults)
        settings.dispatcher.stopWhen = resolved.stopWhen
        settings.presence = resolved.presence
        if !resolved.queues.isEmpty { settings.dispatcher.queues = resolved.queues }
        let opened = try await store.openLocal()
        try await Self.requireQueues(settings.dispatcher.queues, in: opened)
        let errand: ErrandNode
        if let configuration = resolved.process {
            if node.capacity == nil, ProcessInfo.processInfo.environment["ERRAND_CAPACITY"] == nil {
                settings.dispatcher.capacity = resolved.concurrency
            }
            settings.dispatcher.defaultTimeout = configuration.defaultTimeout
            if node.worker == nil { settings.dispatcher.worker = "\(configuration.name):\(ProcessInfo.processInfo.processIdentifier)" }
            try ProcessWorkerOptions.check(configuration)
            let settingsObject = (try? JSONSerialization.jsonObject(with: Data(configuration.jsonText.utf8))) as? [String: Any]
            settings.presence.spec = Self.spec(settingsObject ?? [:], concurrency: settings.dispatcher.capacity)
            errand = ErrandNode(
                store: opened,
                runner: ProcessRunner(configuration: configuration, logger: logger, store: opened),
                configuration: settings,
                logger: logger
            )
        } else {
            let handlers = HandlerRegistry.standard()
            settings.presence.spec = Self.spec(["handlers": handlers.names], concurrency: settings.dispatcher.capacity)
            errand = ErrandNode(store: opened, handlers: handlers, configuration: settings, logger: logger)
        }
        try await node.run(errand, role: "working on", store: store, logger: logger)
        if let reason = errand.dispatcher.stopReason, reason != .shutdown {
            FileHandle.standardError.write(Data("errand: worker stopped: \(reason.description)\n".utf8))
        }
    }

    /// The worker's settings as `errand worker list` shows them: `object` with its concurrency, as JSON text.
    static func spec(_ object: [String: Any], concurrency: Int) -> String {
        var object = object
        object["concurrency"] = concurrency
        return (try? ConfigTree.jsonText(object, "spec")) ?? "{}"
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

/// `errand worker list` (and pftaskqueue's `get-worker`): the registered workers.
struct WorkerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List workers: running, succeeded, failed, lost (heartbeat expired) or salvaged (tasks re-queued)."
    )
    @OptionGroup var store: StoreOptions
    @Option(help: "Only workers in this state (repeatable): running, succeeded, failed, lost, salvaged, or all.") var state: [String] = []
    @Option(help: "Only workers that claim from this queue.") var queue: String?
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

    func run() async throws {
        let states = try state.filter { $0 != "all" }.map { name in
            guard let state = WorkerState(rawValue: name) else {
                throw CLIFailure(
                    "unknown worker state \"\(name)\"; states are all, \(WorkerState.allCases.map(\.rawValue).joined(separator: ", "))",
                    exitCode: CLIFailure.badInput
                )
            }
            return state
        }
        let workers = try await store.open().workers(states: states)
        let shown = workers.filter { queue == nil || $0.queues.isEmpty || $0.queues.contains(queue ?? "") }
        try Output.print(.array(shown.map(Representation.worker)), as: output) {
            Output.table(
                ["ID", "NAME", "STATE", "QUEUES", "STARTED", "LAST HEARTBEAT", "SALVAGED BY"],
                shown.map {
                    [
                        $0.id, $0.name, $0.state.rawValue, $0.queues.joined(separator: ","), $0.startedAt.iso8601, $0.lastHeartbeatAt.iso8601,
                        $0.salvagedBy ?? "",
                    ]
                }
            )
        }
    }
}
