import Errand
public import ErrandCore
public import Foundation

/// Settings of a child-process worker (`errand worker -- CMD`), pftaskqueue's `worker:` section.
///
/// Written to each attempt's `input/meta/workerConfig.json`, so a handler can read how it is run.
public struct ProcessWorkerConfiguration: Sendable, Hashable, Codable {
    /// The handler command and its arguments; run without a shell, once per attempt.
    public var command: [String]
    /// The handler names this worker claims (``TaskSpec/processHandler`` unless told otherwise).
    public var handlers: [String]
    /// The worker's name, stamped into every attempt (`workerName`).
    public var name: String
    /// This run of the worker, unique (`workerUID`); also the name of its directory under ``workDirectory``.
    public var id: String
    /// Where each attempt's workspace is made: `<workDirectory>/<id>/<processUID>`.
    public var workDirectory: String
    /// Whether a workspace is deleted once its attempt has ended.
    public var cleanupWorkspace: Bool
    /// Seconds an attempt may run when its task names no `timeout` (pftaskqueue's `defaultTimeout`, 30 minutes).
    public var defaultTimeout: Double
    /// Seconds between SIGTERM and SIGKILL when an attempt is stopped (timeout, cancel, shutdown).
    public var killGrace: Double
    /// Largest `output/payload` and `output/message` kept, in bytes; longer ones are cut and marked.
    public var outputLimit: Int
    /// How `output/postHooks.json` is read. Not written to `workerConfig.json`.
    public var postHooks = PostHooks.errand

    /// How a handler's follow-up tasks (`output/postHooks.json`) are read.
    public enum PostHooks: Sendable, Hashable {
        /// Errand's `errand worker`: children of the task (it awaits them, and fails if one fails), any key of a task
        /// spec, an unknown key refused.
        case errand
        /// pftaskqueue's `start-worker`: new tasks of their own in the task's queue (the task's outcome is its
        /// handler's alone), read as pftaskqueue's TaskSpec (`name`, `payload`, `retryLimit`, `timeoutSeconds`),
        /// other keys ignored as Go's JSON decoding ignores them.
        case pftaskqueue
    }

    /// The limit of ``outputLimit`` unless told otherwise: 64 KiB.
    public static let defaultOutputLimit = 64 * 1024

    public init(
        command: [String],
        handlers: [String] = [TaskSpec.processHandler],
        name: String = ProcessInfo.processInfo.hostName,
        id: String = UUID().uuidString.lowercased(),
        workDirectory: String = NSTemporaryDirectory(),
        cleanupWorkspace: Bool = false,
        defaultTimeout: Double = 1800,
        killGrace: Double = 10,
        outputLimit: Int = ProcessWorkerConfiguration.defaultOutputLimit
    ) {
        self.command = command
        self.handlers = handlers
        self.name = name
        self.id = id
        self.workDirectory = workDirectory
        self.cleanupWorkspace = cleanupWorkspace
        self.defaultTimeout = defaultTimeout
        self.killGrace = killGrace
        self.outputLimit = outputLimit
    }

    enum CodingKeys: String, CodingKey {
        case command, handlers, name, id
        case workDirectory = "work_dir"
        case cleanupWorkspace = "cleanup_workspace"
        case defaultTimeout = "default_timeout"
        case killGrace = "kill_grace"
        case outputLimit = "output_limit"
    }

    /// This configuration as JSON text (`workerConfig.json`).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
