import ArgumentParser
import Errand
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Options every node command shares: how many tasks, from which queues, under which name.
struct NodeOptions: ParsableArguments {
    @Option(help: "Most tasks running at once.") var capacity: Int = 32
    @Option(help: "Queue to run (repeatable; default: all active queues).") var queue: [String] = []
    @Option(help: "Seconds to let running tasks finish at shutdown.") var grace: Double = 10
    @Option(help: "Worker name recorded in leases (default: host:pid).") var worker: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Option(help: "Seconds a finished task is kept (the janitor runs on the leader).") var finishedTtl: Double = 7 * 24 * 3600
    @Option(help: "Attempts kept in the launch log per handler (the janitor trims it).") var taskLogMaxSize: Int = 100

    func validate() throws {
        guard capacity >= 1 else { throw ValidationError("--capacity must be at least 1") }
        guard grace >= 0 else { throw ValidationError("--grace must be >= 0") }
        guard finishedTtl >= 0 else { throw ValidationError("--finished-ttl must be >= 0") }
        guard taskLogMaxSize >= 0 else { throw ValidationError("--task-log-max-size must be >= 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    var logger: Logger {
        var logger = Logger(label: "errand")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }

    var dispatcher: DispatcherConfiguration {
        var dispatcher = DispatcherConfiguration(capacity: capacity, queues: queue, shutdownGrace: grace)
        if let worker { dispatcher.worker = worker }
        return dispatcher
    }

    /// Runs `node` until SIGINT or SIGTERM, then shuts it down gracefully.
    func run(_ node: ErrandNode, role: String, store: StoreOptions, logger: Logger) async throws {
        let worker = node.dispatcher.worker
        logger.notice(
            "errand \(role)",
            metadata: ["errand.store": "\(store.location)", "errand.capacity": "\(capacity)", "errand.worker.id": "\(worker)"]
        )
        FileHandle.standardError.write(
            Data("errand: \(role) tasks from \(store.location) (capacity \(capacity), worker \(worker)); Ctrl-C stops\n".utf8)
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: node, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

/// `errand serve`: run tasks and stand for leader (rescuer, janitor) until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run tasks with the built-in handlers, and stand for leader (the rescuer and the janitor run on the leader).",
        discussion: """
            On SQLite the one serve process leads. On PostgreSQL, any number of serve processes may share the store:
            exactly one leads at a time, and another takes over within about 4 s when it dies.
            SIGINT or SIGTERM stops claiming, lets running attempts finish for --grace seconds, then cancels the rest
            (they go back to pending without using an attempt) and exits.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var node: NodeOptions

    func run() async throws {
        let logger = node.logger
        let errand = ErrandNode(
            store: try await store.open(),
            handlers: .withBuiltins(),
            configuration: NodeConfiguration(
                dispatcher: node.dispatcher,
                finishedTaskTTL: node.finishedTtl,
                taskLogMaxSize: node.taskLogMaxSize,
                leads: true
            ),
            logger: logger
        )
        try await node.run(errand, role: "serving", store: store, logger: logger)
    }
}

/// `errand worker`: run tasks beside `serve` on a shared PostgreSQL store.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run tasks with the built-in handlers; stands for leader too unless --no-lead.",
        discussion: """
            Start as many workers as you like beside `errand serve` on the same PostgreSQL store. Every node stands for
            leader, so the rescuer and the janitor keep running when any one node dies; --no-lead keeps this one out.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var node: NodeOptions
    @Flag(help: "Never lead: only run tasks.") var noLead = false

    func run() async throws {
        let logger = node.logger
        let errand = ErrandNode(
            store: try await store.open(),
            handlers: .withBuiltins(),
            configuration: NodeConfiguration(
                dispatcher: node.dispatcher,
                finishedTaskTTL: node.finishedTtl,
                taskLogMaxSize: node.taskLogMaxSize,
                leads: !noLead
            ),
            logger: logger
        )
        try await node.run(errand, role: "working on", store: store, logger: logger)
    }
}

/// `errand leader`: which node leads now.
struct LeaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leader",
        abstract: "Print the node that leads now (runs the rescuer and the janitor), or \"none\"."
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        print(try await store.open().leader(now: Date()) ?? "none")
    }
}

/// `errand migrate`: bring the store's schema to this binary's version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the store's schema (every command also does this when it opens the store).",
        discussion: "Safe to run from several nodes at once: migrations take a lock and run once."
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        _ = try await store.open()
        print("\(store.location) is migrated")
    }
}
