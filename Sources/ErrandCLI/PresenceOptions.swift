import ArgumentParser
import Errand
import ErrandCore
import Foundation

/// How a node (`errand serve`, `errand worker`) shows itself in the worker registry: heartbeat timings and salvage.
/// Each resolves as: flag, then `ERRAND_WORKER_<NAME>`, then the `worker:` section of the configuration file, then
/// the default.
struct PresenceOptions: ParsableArguments {
    @Option(help: "Seconds between worker heartbeats (default: $ERRAND_WORKER_HEARTBEAT_INTERVAL, worker.heartbeat_interval, or 2).")
    var heartbeatInterval: Double?
    @Option(
        help:
            "Seconds without a heartbeat before this node counts as lost and its tasks are salvaged by the leader; a node cut off longer rejoins when the store is back (default: $ERRAND_WORKER_HEARTBEAT_EXPIRATION, worker.heartbeat_expiration, or 10)."
    )
    var heartbeatExpiration: Double?
    @Option(help: "Seconds a lost worker waits before its tasks are salvaged (default: $ERRAND_WORKER_SALVAGE_AFTER, worker.salvage_after, or 15).")
    var salvageAfter: Double?
    @Option(help: "Lost workers to salvage on start, -1 for all (default: -1; the leader salvages anyway).")
    var numWorkerSalvageOnStart: Int?

    /// The presence settings from the flags, the environment and the file's `worker:` section.
    /// - Throws: ``CLIFailure`` (exit 2) for a value that does not parse or makes no sense.
    func resolve(file: WorkerSettings) throws -> WorkerPresenceConfiguration {
        let lookup = WorkerSettingLookup()
        func value<T: LosslessStringConvertible>(_ flag: T?, _ key: String, _ fromFile: T?) throws -> T? {
            try lookup.value(flag, key, fromFile)
        }
        func seconds(_ number: Double?, _ option: String, allowZero: Bool = false) throws -> Double? {
            try lookup.seconds(number, option, allowZero: allowZero)
        }
        var presence = WorkerPresenceConfiguration()
        if let interval = try seconds(try value(heartbeatInterval, "HEARTBEAT_INTERVAL", file.heartbeatInterval), "--heartbeat-interval") {
            presence.heartbeatInterval = interval
        }
        if let expiration = try seconds(
            try value(heartbeatExpiration, "HEARTBEAT_EXPIRATION", file.heartbeatExpiration),
            "--heartbeat-expiration"
        ) {
            presence.heartbeatExpiration = expiration
        }
        guard presence.heartbeatExpiration > presence.heartbeatInterval else {
            throw CLIFailure("--heartbeat-expiration must be longer than --heartbeat-interval", exitCode: CLIFailure.badInput)
        }
        if let after = try seconds(try value(salvageAfter, "SALVAGE_AFTER", file.salvageAfter), "--salvage-after", allowZero: true) {
            presence.salvageAfter = after
        }
        if let count = try value(numWorkerSalvageOnStart, "NUM_WORKER_SALVAGE_ON_START", file.numWorkerSalvageOnStart) {
            presence.salvageOnStart = count
        }
        return presence
    }
}

/// Reads one worker setting: the flag, then `ERRAND_WORKER_<KEY>`, then the file's value.
struct WorkerSettingLookup {
    let environment = ProcessInfo.processInfo.environment

    /// `ERRAND_WORKER_<key>` when set and not empty, else the pftaskqueue variable that stands for it
    /// (``PftaskqueueEnvironment``), with the variable's name.
    /// - Throws: ``CLIFailure`` (exit 2) for a pftaskqueue duration that is not one.
    func named(_ key: String) throws -> (name: String, text: String)? {
        if let text = environment["ERRAND_WORKER_\(key)"], !text.isEmpty { return ("ERRAND_WORKER_\(key)", text) }
        return try PftaskqueueEnvironment.value(for: key, in: environment)
    }

    /// The text of the setting `key`'s variable (see ``named(_:)``).
    func variable(_ key: String) throws -> String? { try named(key)?.text }

    /// The first of the flag, the variable and the file's value that is given.
    /// - Throws: ``CLIFailure`` (exit 2) when the variable does not parse.
    func value<T: LosslessStringConvertible>(_ flag: T?, _ key: String, _ fromFile: T?) throws -> T? {
        if let flag { return flag }
        if let (name, text) = try named(key) {
            guard let parsed = T(T.self == Bool.self ? GoBool.read(text).map(String.init) ?? text : text) else {
                throw CLIFailure("\(name): \"\(text)\" is not a valid value", exitCode: CLIFailure.badInput)
            }
            return parsed
        }
        return fromFile
    }

    /// `number` when it is a finite number of seconds above 0 (or 0, with `allowZero`).
    func seconds(_ number: Double?, _ option: String, allowZero: Bool = false) throws -> Double? {
        guard let number else { return nil }
        do {
            return try InvalidField.seconds(number, option, allowZero: allowZero)
        } catch {
            throw CLIFailure("\(option) \(error.reason)", exitCode: CLIFailure.badInput)
        }
    }
}
