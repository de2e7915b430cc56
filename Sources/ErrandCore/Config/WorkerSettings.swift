import Foundation

/// The `worker:` section of the configuration file: settings of a child-process worker (`errand worker -- CMD`),
/// pftaskqueue's `worker:` section with Errand's key names. Every field is optional: a flag or an
/// `ERRAND_WORKER_*` environment variable overrides it, and a missing one takes the default `errand worker --help`
/// shows.
public struct WorkerSettings: Sendable, Hashable {
    /// Queue to claim from (`queue`).
    public var queue: String?
    /// Worker name stamped into attempts (`name`).
    public var name: String?
    /// Handler processes running at once (`concurrency`).
    public var concurrency: Int?
    /// The handler command and its arguments, no shell (`command`).
    public var command: [String]?
    /// Handler names claimed (`handlers`).
    public var handlers: [String]?
    /// Seconds an attempt may run when its task names no timeout (`default_timeout`).
    public var defaultTimeout: Double?
    /// Where workspaces are made (`work_dir`).
    public var workDir: String?
    /// Delete each workspace when its attempt ends (`cleanup_workspace`).
    public var cleanupWorkspace: Bool?
    /// Seconds between SIGTERM and SIGKILL (`kill_grace`).
    public var killGrace: Double?
    /// Exit once the queue is suspended (`exit_on_suspend`).
    public var exitOnSuspend: Bool?
    /// Exit once the queue stays empty for the grace period (`exit_on_empty`).
    public var exitOnEmpty: Bool?
    /// Seconds the queue must stay empty (`exit_on_empty_grace_period`).
    public var exitOnEmptyGracePeriod: Double?
    /// Exit after this many tasks (`num_tasks`); 0: no limit (as pftaskqueue's `numTasks` of 0 or less).
    public var numTasks: Int?
    /// Seconds between heartbeats (`heartbeat_interval`).
    public var heartbeatInterval: Double?
    /// Seconds without a heartbeat before the worker counts as lost (`heartbeat_expiration`).
    public var heartbeatExpiration: Double?
    /// Seconds after it is lost before its tasks are salvaged (`salvage_after`).
    public var salvageAfter: Double?
    /// Lost workers to salvage when starting, -1 for all (`num_worker_salvage_on_start`).
    public var numWorkerSalvageOnStart: Int?

    public init() {}

    static let keys: Set<String> = [
        "queue", "name", "concurrency", "command", "handlers", "default_timeout", "work_dir", "cleanup_workspace", "kill_grace",
        "exit_on_suspend", "exit_on_empty", "exit_on_empty_grace_period", "num_tasks", "heartbeat_interval", "heartbeat_expiration",
        "salvage_after", "num_worker_salvage_on_start",
    ]

    /// Reads the section.
    /// - Throws: ``InvalidField`` naming the first problem, e.g. `worker.concurrency`.
    init(section value: Any) throws(InvalidField) {
        let section = try ConfigTree.mapping(value, "worker", known: Self.keys, what: "a worker setting")
        func field(_ key: String) -> String { "worker.\(key)" }
        func strings(_ key: String) throws(InvalidField) -> [String]? {
            guard let value = section[key] else { return nil }
            guard let list = value as? [Any], !list.isEmpty else {
                throw InvalidField(field: field(key), reason: "must be a non-empty list of strings")
            }
            var strings: [String] = []
            for (index, item) in list.enumerated() { strings.append(try ConfigTree.string(item, field("\(key)[\(index)]"))) }
            return strings
        }
        func seconds(_ key: String, allowZero: Bool = false) throws(InvalidField) -> Double? {
            guard let value = section[key] else { return nil }
            return try InvalidField.seconds(try ConfigTree.number(value, field(key)), field(key), allowZero: allowZero)
        }
        if let value = section["queue"] {
            let name = try ConfigTree.string(value, field("queue"))
            if let problem = QueueName.problem(name) { throw InvalidField(field: field("queue"), reason: problem) }
            queue = name
        }
        if let value = section["name"] { name = try ConfigTree.string(value, field("name")) }
        if let value = section["concurrency"] { concurrency = try ConfigTree.integer(value, field("concurrency"), atLeast: 1) }
        command = try strings("command")
        handlers = try strings("handlers")
        for (index, handler) in (handlers ?? []).enumerated() {
            if let problem = HandlerName.problem(handler) { throw InvalidField(field: field("handlers[\(index)]"), reason: problem) }
        }
        defaultTimeout = try seconds("default_timeout")
        killGrace = try seconds("kill_grace", allowZero: true)
        exitOnEmptyGracePeriod = try seconds("exit_on_empty_grace_period", allowZero: true)
        if let value = section["work_dir"] { workDir = try ConfigTree.string(value, field("work_dir")) }
        if let value = section["cleanup_workspace"] { cleanupWorkspace = try ConfigTree.bool(value, field("cleanup_workspace")) }
        if let value = section["exit_on_suspend"] { exitOnSuspend = try ConfigTree.bool(value, field("exit_on_suspend")) }
        if let value = section["exit_on_empty"] { exitOnEmpty = try ConfigTree.bool(value, field("exit_on_empty")) }
        heartbeatInterval = try seconds("heartbeat_interval")
        heartbeatExpiration = try seconds("heartbeat_expiration")
        salvageAfter = try seconds("salvage_after", allowZero: true)
        if let value = section["num_worker_salvage_on_start"] {
            numWorkerSalvageOnStart = try ConfigTree.integer(value, field("num_worker_salvage_on_start"))
        }
        if let value = section["num_tasks"] { numTasks = try ConfigTree.integer(value, field("num_tasks"), atLeast: 0) }
    }
}
