import ArgumentParser
import Errand
import ErrandSQLite
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `errand serve`: run tasks from the database until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run tasks: the dispatcher with the built-in handlers, the rescuer and the janitor.",
        discussion: """
            SIGINT or SIGTERM stops claiming, lets running attempts finish for --grace seconds, then cancels the rest
            (they go back to pending without using an attempt) and exits.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Most tasks running at once.") var capacity: Int = 32
    @Option(help: "Queue to run (repeatable; default: all active queues).") var queue: [String] = []
    @Option(help: "Seconds to let running tasks finish at shutdown.") var grace: Double = 10
    @Option(help: "Worker name recorded in leases (default: host:pid).") var worker: String?
    @Option(help: "Seconds a finished task is kept.") var finishedTtl: Double = 7 * 24 * 3600
    @Option(help: "Attempts kept in the launch log per handler.") var taskLogMaxSize: Int = 100
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func validate() throws {
        guard capacity >= 1 else { throw ValidationError("--capacity must be at least 1") }
        guard grace >= 0 else { throw ValidationError("--grace must be >= 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    func run() async throws {
        var logger = Logger(label: "errand")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let sqlite = try SQLiteTaskStore(path: store.path)
        var dispatcher = DispatcherConfiguration(capacity: capacity, queues: queue, shutdownGrace: grace)
        if let worker { dispatcher.worker = worker }
        let node = ErrandNode(
            store: sqlite,
            handlers: .withBuiltins(),
            configuration: NodeConfiguration(dispatcher: dispatcher, finishedTaskTTL: finishedTtl, taskLogMaxSize: taskLogMaxSize),
            logger: logger
        )
        logger.notice(
            "errand serving",
            metadata: ["errand.database": "\(sqlite.path)", "errand.capacity": "\(capacity)", "errand.worker.id": "\(dispatcher.worker)"]
        )
        FileHandle.standardError.write(
            Data("errand: serving tasks from SQLite database \(sqlite.path) (capacity \(capacity), worker \(dispatcher.worker)); Ctrl-C stops\n".utf8)
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
