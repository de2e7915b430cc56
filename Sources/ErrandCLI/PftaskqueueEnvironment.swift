import ErrandCore
import Foundation

/// pftaskqueue's settings variables, read as the `ERRAND_WORKER_*` setting each stands for, so that a pftaskqueue
/// Kubernetes Job's `env:` (`PFTQ_WORKER_QUEUENAME`, `PFTQ_WORKER_NAME`, …) works unchanged. pftaskqueue names a
/// variable `PFTQ_` + its configuration key path, upper-cased, dots as `_` (`worker.heartBeat.interval` is
/// `PFTQ_WORKER_HEARTBEAT_INTERVAL`); its durations are Go's (`30m0s`, `1m30s`, `500ms`).
/// An `ERRAND_WORKER_*` variable of the same setting wins over it.
enum PftaskqueueEnvironment {
    /// pftaskqueue's worker variables: the `ERRAND_WORKER_<KEY>` each stands for, and whether its value is a duration.
    static let workerVariables: [String: (key: String, isDuration: Bool)] = [
        "PFTQ_WORKER_QUEUENAME": ("QUEUE", false),
        "PFTQ_WORKER_NAME": ("NAME", false),
        "PFTQ_WORKER_CONCURRENCY": ("CONCURRENCY", false),
        "PFTQ_WORKER_TASKHANDLER_DEFAULTTIMEOUT": ("DEFAULT_TIMEOUT", true),
        "PFTQ_WORKER_TASKHANDLER_CLEANUPWORKSPACEDIR": ("CLEANUP_WORKSPACE", false),
        "PFTQ_WORKER_TASKHANDLER_COMMANDS": ("COMMAND", false),
        "PFTQ_WORKER_HEARTBEAT_INTERVAL": ("HEARTBEAT_INTERVAL", true),
        "PFTQ_WORKER_HEARTBEAT_EXPIRATIONDURATION": ("HEARTBEAT_EXPIRATION", true),
        "PFTQ_WORKER_HEARTBEAT_SALVAGEDURATION": ("SALVAGE_AFTER", true),
        "PFTQ_WORKER_EXITONSUSPEND": ("EXIT_ON_SUSPEND", false),
        "PFTQ_WORKER_EXITONEMPTY": ("EXIT_ON_EMPTY", false),
        "PFTQ_WORKER_EXITONEMPTYGRACEPERIOD": ("EXIT_ON_EMPTY_GRACE_PERIOD", true),
        "PFTQ_WORKER_NUMTASKS": ("NUM_TASKS", false),
        "PFTQ_WORKER_WORKDIR": ("WORK_DIR", false),
        "PFTQ_WORKER_NUMWORKERSALVAGEONSTARTUP": ("NUM_WORKER_SALVAGE_ON_START", false),
    ]

    /// The settings of pftaskqueue's Redis backend (`PFTQ_REDIS_ADDR`, `PFTQ_REDIS_PASSWORD`, …) and its backend choice:
    /// accepted, and reported as not used (Errand keeps its tasks in its own store).
    static let backendPrefixes = ["PFTQ_REDIS_", "PFTQ_BACKEND"]

    /// Variables pftaskqueue sets for its handler processes (a handler may run `errand`): not settings.
    static let handlerPrefix = "PFTQ_TASK_HANDLER_"

    /// The value of the pftaskqueue variable that stands for `ERRAND_WORKER_<key>`, as Errand reads that setting (a
    /// duration in seconds), with the variable's name; `nil` when none is set.
    /// - Throws: ``CLIFailure`` (exit 2) for a duration that is not one.
    static func value(for key: String, in environment: [String: String]) throws -> (name: String, text: String)? {
        guard let (name, setting) = workerVariables.first(where: { $0.value.key == key }),
            let text = environment[name], !text.isEmpty
        else { return nil }
        guard setting.isDuration else { return (name, text) }
        guard let seconds = GoDuration.seconds(text) else {
            throw CLIFailure("\(name): \"\(text)\" is not a duration (30s, 1m30s, 500ms)", exitCode: CLIFailure.badInput)
        }
        return (name, String(seconds))
    }

    /// One line per `PFTQ_*` variable that is not read: a backend setting (not used), or one no setting has.
    static func warnings(_ environment: [String: String]) -> [String] {
        environment.keys.filter { $0.hasPrefix("PFTQ") && !$0.hasPrefix(handlerPrefix) && workerVariables[$0] == nil }.sorted().map { name in
            if backendPrefixes.contains(where: name.hasPrefix) {
                return "\(name) is pftaskqueue's Redis backend setting; errand keeps tasks in its own store (--db, --store) and does not use it"
            }
            if name == "PFTQCONFIG" { return "PFTQCONFIG is not read; pass the configuration file with --config" }
            return "\(name) is set but no pftaskqueue setting errand reads has that name; it is ignored"
        }
    }
}

/// Go's `strconv.ParseBool`: `1`, `t`, `T`, `TRUE`, `true`, `True` and their false forms.
enum GoBool {
    static func read(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}
