import ArgumentParser
import Errand
import ErrandCore
import ErrandProcess
import Foundation

/// The options of `errand worker -- CMD` (pftaskqueue's worker settings). Each resolves as: flag, then
/// `ERRAND_WORKER_<NAME>`, then the `worker:` section of the configuration file, then the default.
struct ProcessWorkerOptions: ParsableArguments {
    @Option(help: "Worker name stamped into attempts (default: $ERRAND_WORKER_NAME, worker.name, or the host name).") var name: String?
    @Option(help: "Handler processes at once (default: $ERRAND_WORKER_CONCURRENCY, worker.concurrency, or 1).") var concurrency: Int?
    @Option(help: "Handler name to claim (repeatable; default: errand.process).") var handler: [String] = []
    @Option(help: "Seconds an attempt may run when its task names no timeout (default: 1800).") var defaultTimeout: Double?
    @Option(help: "Directory for attempt workspaces (default: the system's temporary directory).") var workDir: String?
    @Flag(inversion: .prefixedNo, help: "Delete each workspace when its attempt ends (default: keep).") var cleanupWorkspace: Bool?
    @Option(help: "Seconds between SIGTERM and SIGKILL when an attempt is stopped (default: 10).") var killGrace: Double?
    @Flag(inversion: .prefixedNo, help: "Exit 0 once every queue the worker claims from is suspended.") var exitOnSuspend: Bool?
    @Flag(inversion: .prefixedNo, help: "Exit 0 once there is nothing to run for --exit-on-empty-grace-period.") var exitOnEmpty: Bool?
    @Option(help: "Seconds with nothing to run before --exit-on-empty exits (default: 10).") var exitOnEmptyGracePeriod: Double?
    @Option(help: "Exit 0 after this many tasks (they finish first); 0: no limit.") var numTasks: Int?
    @OptionGroup var presenceOptions: PresenceOptions

    /// What the options resolve to.
    struct Resolved {
        /// The child-process settings, command aside resolved whether or not a command is given (`print-config`).
        var handlerSettings: ProcessWorkerConfiguration
        /// The child-process settings, or `nil` to run the built-in handlers (no command).
        var process: ProcessWorkerConfiguration? { handlerSettings.command.isEmpty ? nil : handlerSettings }
        var concurrency: Int
        var queues: [String]
        var stopWhen: StopConditions
        var presence: WorkerPresenceConfiguration
    }

    /// The defaults a setting takes when no flag, variable or file gives it: Errand's (`errand worker`), or
    /// pftaskqueue's under its verb `start-worker` (exit when the queue is suspended, after 1,000 tasks, a queue
    /// must be named, and follow-ups are new tasks).
    struct Defaults {
        var exitOnSuspend = false
        var numTasks: Int?
        var requiresQueue = false
        /// Whether a handler's follow-ups (`postHooks.json`) are its task's children, or new tasks read as
        /// pftaskqueue's TaskSpecs.
        var followUpsAreChildren = true

        static let errand = Defaults()
        static let pftaskqueue = Defaults(exitOnSuspend: true, numTasks: 1000, requiresQueue: true, followUpsAreChildren: false)
    }

    /// Resolves every option against the environment and the configuration file's `worker:` section.
    func resolve(command: [String], file: WorkerSettings, queues: [String], defaults: Defaults = .errand) throws -> Resolved {
        let lookup = WorkerSettingLookup()
        func variable(_ key: String) throws -> String? { try lookup.variable(key) }
        func value<T: LosslessStringConvertible>(_ flag: T?, _ key: String, _ fromFile: T?) throws -> T? {
            try lookup.value(flag, key, fromFile)
        }
        func positive(_ number: Double?, _ option: String, allowZero: Bool = false) throws -> Double? {
            try lookup.seconds(number, option, allowZero: allowZero)
        }
        let concurrency = try value(concurrency, "CONCURRENCY", file.concurrency) ?? 1
        guard concurrency >= 1 else { throw CLIFailure("--concurrency must be at least 1", exitCode: CLIFailure.badInput) }
        var numTasks = try value(numTasks, "NUM_TASKS", file.numTasks) ?? defaults.numTasks
        if let count = numTasks, count < 0 { throw CLIFailure("--num-tasks must be 0 (no limit) or more", exitCode: CLIFailure.badInput) }
        if numTasks == 0 { numTasks = nil }
        let exitOnEmpty = try value(exitOnEmpty, "EXIT_ON_EMPTY", file.exitOnEmpty) ?? false
        let grace =
            try positive(
                try value(exitOnEmptyGracePeriod, "EXIT_ON_EMPTY_GRACE_PERIOD", file.exitOnEmptyGracePeriod),
                "--exit-on-empty-grace-period",
                allowZero: true
            ) ?? 10
        let stopWhen = StopConditions(
            maxTasks: numTasks,
            idleFor: exitOnEmpty ? grace : nil,
            onSuspend: try value(exitOnSuspend, "EXIT_ON_SUSPEND", file.exitOnSuspend) ?? defaults.exitOnSuspend
        )
        var presence = try presenceOptions.resolve(file: file)
        presence.name = try value(name, "NAME", file.name)
        var queues = queues
        if queues.isEmpty, let queue = try variable("QUEUE") ?? file.queue { queues = [queue] }
        if defaults.requiresQueue, queues.isEmpty {
            throw CLIFailure(
                "start-worker needs a queue, as pftaskqueue does: --queue-name NAME, PFTQ_WORKER_QUEUENAME, or worker.queueName in --config",
                exitCode: CLIFailure.badInput
            )
        }
        let argv = command.isEmpty ? (try variable("COMMAND").map { $0.split(separator: " ").map(String.init) } ?? file.command ?? []) : command
        var configuration = ProcessWorkerConfiguration(command: argv, id: presence.id)
        configuration.postHooks = defaults.followUpsAreChildren ? .errand : .pftaskqueue
        if let name = try value(name, "NAME", file.name) { configuration.name = name }
        let handlers = handler.isEmpty ? (try variable("HANDLERS").map { $0.split(separator: ",").map(String.init) } ?? file.handlers) : handler
        if let handlers {
            for name in handlers {
                if let problem = HandlerName.problem(name) { throw CLIFailure("--handler: \(problem)", exitCode: CLIFailure.badInput) }
            }
            configuration.handlers = handlers
        }
        if let seconds = try positive(try value(defaultTimeout, "DEFAULT_TIMEOUT", file.defaultTimeout), "--default-timeout") {
            configuration.defaultTimeout = seconds
        }
        if let seconds = try positive(try value(killGrace, "KILL_GRACE", file.killGrace), "--kill-grace", allowZero: true) {
            configuration.killGrace = seconds
        }
        if let directory = try value(workDir, "WORK_DIR", file.workDir) { configuration.workDirectory = directory }
        configuration.cleanupWorkspace = try value(cleanupWorkspace, "CLEANUP_WORKSPACE", file.cleanupWorkspace) ?? false
        return Resolved(handlerSettings: configuration, concurrency: concurrency, queues: queues, stopWhen: stopWhen, presence: presence)
    }

    /// Fails before anything is claimed when the command cannot be found or the work directory cannot be written.
    static func check(_ configuration: ProcessWorkerConfiguration) throws {
        let program = configuration.command[0]
        let candidates =
            program.contains("/")
            ? [program]
            : (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
        guard candidates.contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            let where_ = program.contains("/") ? "" : " on PATH"
            throw CLIFailure("handler command \(program) not found\(where_) (or not executable)", exitCode: CLIFailure.badInput)
        }
        let directory = URL(fileURLWithPath: configuration.workDirectory).appendingPathComponent(configuration.id).path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let probe = "\(directory)/.errand-probe"
            guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            try FileManager.default.removeItem(atPath: probe)
        } catch {
            throw CLIFailure(
                "work dir \(configuration.workDirectory) cannot be written: \(error.localizedDescription)",
                exitCode: CLIFailure.badInput
            )
        }
    }
}
