import ArgumentParser
import CoreMetrics
import Errand
import ErrandCore
import ErrandHTTP
import ErrandProcess
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// Options every node command shares: how many tasks, from which queues, under which name, with which definitions.
///
/// Settings that the configuration file can hold too resolve as: flag, then `ERRAND_*` environment variable, then the
/// file (`--config`, or `$ERRAND_CONFIG`), then the default.
struct NodeOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML) with task definitions and settings (default: $ERRAND_CONFIG).") var config: String?
    @Option(help: "Most tasks running at once (default: $ERRAND_CAPACITY, the file's task_runner.capacity, or 32).") var capacity: Int?
    @Option(name: [.long, .customLong("queue-name")], help: "Queue to run (repeatable; default: all active queues).") var queue: [String] = []
    @Option(help: "Seconds to let running tasks finish at shutdown.") var grace: Double = 10
    @Option(help: "Worker name recorded in leases (default: host:pid).") var worker: String?
    @Option(
        name: .customLong("tag"),
        help:
            "A tag this node has, e.g. gpu: it takes the tasks that require it (repeatable; default: $ERRAND_TAGS, comma-separated, or the file's task_runner.tags)."
    )
    var tags: [String] = []
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Option(help: "Seconds a finished task is kept (default: $ERRAND_FINISHED_TTL, the file's task_storage.finished_ttl, or 7 days).")
    var finishedTtl: Double?
    @Option(
        help:
            "Seconds a finished task a user started is kept (default: $ERRAND_USER_TASK_TTL, the file's task_storage.user_task_ttl, or the finished TTL)."
    )
    var userTaskTtl: Double?
    @Option(
        help:
            "Seconds after which a finished task moves to the archive (default: $ERRAND_ARCHIVE_OLDER_THAN, the file's task_storage.archive_older_than, or never)."
    )
    var archiveOlderThan: Double?
    @Option(help: "Attempts kept in the launch log per handler (default: $ERRAND_TASK_LOG_MAX_SIZE, the file's, or 100).")
    var taskLogMaxSize: Int?

    func validate() throws {
        if let capacity, capacity < 1 { throw ValidationError("--capacity must be at least 1") }
        guard grace >= 0 else { throw ValidationError("--grace must be >= 0") }
        if let finishedTtl, finishedTtl < 0 { throw ValidationError("--finished-ttl must be >= 0") }
        if let userTaskTtl, userTaskTtl < 0 { throw ValidationError("--user-task-ttl must be >= 0") }
        if let taskLogMaxSize, taskLogMaxSize < 0 { throw ValidationError("--task-log-max-size must be >= 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    /// The configuration file to read, if any.
    var configPath: String? { ConfigCommand.path(flag: config) }

    /// The configuration file, read and checked (the default configuration without one): read once per command.
    func file() throws -> ErrandConfig { try configPath.map(ConfigCommand.load) ?? ErrandConfig() }

    /// The node's settings: flags, then environment, then `file`, then defaults.
    func settings(file: ErrandConfig) throws -> NodeConfiguration {
        let environment = ProcessInfo.processInfo.environment
        func fromEnvironment<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws -> T? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = T(text) else { throw CLIFailure("\(name): \"\(text)\" is not a valid value", exitCode: CLIFailure.badInput) }
            return value
        }
        var dispatcher = DispatcherConfiguration(
            capacity: try capacity ?? fromEnvironment("ERRAND_CAPACITY", as: Int.self) ?? file.runner.capacity,
            queues: queue,
            shutdownGrace: grace
        )
        guard dispatcher.capacity >= 1 else { throw CLIFailure("ERRAND_CAPACITY must be at least 1", exitCode: CLIFailure.badInput) }
        if let worker { dispatcher.worker = worker }
        let environmentTags = environment["ERRAND_TAGS"].map { $0.split(separator: ",").map(String.init) }
        dispatcher.tags = Requirement.normalized(tags.isEmpty ? (environmentTags ?? file.runner.tags) : tags)
        if let problem = Requirement.problem(dispatcher.tags) {
            throw CLIFailure("--tag (ERRAND_TAGS): \(problem)", exitCode: CLIFailure.badInput)
        }
        let finishedTaskTTL = try finishedTtl ?? fromEnvironment("ERRAND_FINISHED_TTL", as: Double.self) ?? file.storage.finishedTTL
        let archiveOlderThan = try archiveOlderThan ?? fromEnvironment("ERRAND_ARCHIVE_OLDER_THAN", as: Double.self)
        if let archiveOlderThan, !(archiveOlderThan > 0 && archiveOlderThan.isFinite) {
            throw CLIFailure(
                "--archive-older-than (ERRAND_ARCHIVE_OLDER_THAN) must be a number of seconds > 0, got \(archiveOlderThan)",
                exitCode: CLIFailure.badInput
            )
        }
        return NodeConfiguration(
            dispatcher: dispatcher,
            finishedTaskTTL: finishedTaskTTL,
            userTaskTTL: try userTaskTtl ?? fromEnvironment("ERRAND_USER_TASK_TTL", as: Double.self) ?? file.storage.userTaskTTL
                ?? finishedTaskTTL,
            archiveOlderThan: archiveOlderThan ?? file.storage.archiveOlderThan,
            taskLogMaxSize: try taskLogMaxSize ?? fromEnvironment("ERRAND_TASK_LOG_MAX_SIZE", as: Int.self) ?? file.storage.taskLogMaxSize,
            definitions: file.definitions
        )
    }

    var logger: Logger {
        var logger = Logger(label: "errand")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }

    /// Runs `node` until SIGINT or SIGTERM, then shuts it down gracefully.
    func run(_ node: ErrandNode, role: String, store: StoreOptions, logger: Logger, services: [any Service] = []) async throws {
        let worker = node.dispatcher.worker
        let capacity = node.dispatcher.capacity
        logger.notice(
            "errand \(role)",
            metadata: ["errand.store": "\(store.location)", "errand.capacity": "\(capacity)", "errand.worker.id": "\(worker)"]
        )
        var started = "errand: \(role) tasks from \(store.location) (capacity \(capacity), worker \(worker))"
        if let path = configPath { started += ", definitions from \(path)" }
        FileHandle.standardError.write(Data("\(started); Ctrl-C stops\n".utf8))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: ([node] + services).map {
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await withThrowingDiscardingTaskGroup { tasks in
            if let path = configPath, let scheduler = node.scheduler {
                tasks.addTask { await ConfigReloader(path: path, scheduler: scheduler, logger: logger).run() }
            }
            tasks.addTask {
                // A signal during start-up (see EarlyTermination): looked for while the group takes the signals over.
                for _ in 0..<50 {
                    if EarlyTermination.wasRequested {
                        await group.triggerGracefulShutdown()
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
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
    @OptionGroup var presence: PresenceOptions
    @OptionGroup var http: HTTPOptions

    func run() async throws {
        let logger = node.logger
        let file = try node.file()
        var settings = try node.settings(file: file)
        settings.presence = try presence.resolve(file: file.worker)
        let httpConfiguration = try http.configuration(file: file.http)
        let taskStore = try await store.openLocal()
        // One registry for the whole process: the engine's counters and the API's gauges.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let handlers = HandlerRegistry.standard()
        let errand = ErrandNode(store: taskStore, handlers: handlers, configuration: settings, logger: logger)
        if let path = node.configPath {
            let takers = TaskTakers(workers: try await taskStore.workers(states: [.running]), now: Date())
            let warnings = UnservedDefinitions.warnings(
                settings.definitions,
                handlers: handlers.names,
                queues: settings.dispatcher.queues,
                takers: takers,
                store: store.location
            )
            UnservedDefinitions.print(warnings, file: path)
            for warning in warnings { logger.warning("\(warning)", metadata: ["errand.config": "\(path)"]) }
        }
        var services: [any Service] = []
        if let httpConfiguration {
            let scheduler = errand.scheduler
            let definitions = settings.definitions
            let api = APIServices(
                store: taskStore,
                definitions: { scheduler?.definitions ?? definitions },
                registry: registry,
                nodeName: settings.dispatcher.worker,
                taskTTLs: (settings.finishedTaskTTL, settings.userTaskTTL ?? settings.finishedTaskTTL)
            )
            let auth = httpConfiguration.auth.checksTokens ? "bearer tokens" : "no authentication (loopback)"
            services.append(
                try ErrandHTTPServer(configuration: httpConfiguration, services: api, logger: logger) { host, port in
                    FileHandle.standardError.write(Data("errand: HTTP API on http://\(host):\(port) (\(auth)); described at /openapi.json\n".utf8))
                }
            )
        }
        try await node.run(errand, role: "serving", store: store, logger: logger, services: services)
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
        _ = try await store.openLocal()
        print("\(store.location) is migrated")
    }
}
