import Foundation

/// pftaskqueue's configuration file (`pftaskqueue print-default-config`), read as Errand's: its camelCase `worker:`
/// section is rewritten into Errand's keys before it is read (so one reader checks both), and its `redis:` and
/// `backend:` sections are accepted and reported as not used (tasks live in Errand's store).
enum PftaskqueueConfig {
    /// The top-level sections of pftaskqueue's file that Errand has no use for, with what it says about each.
    static let unusedSections: [String: String] = [
        "redis": "redis: pftaskqueue's Redis settings are not used; tasks live in Errand's store (--db, --store or --server)",
        "backend": "backend: pftaskqueue's backend choice is not used; tasks live in Errand's store (--db, --store or --server)",
    ]

    /// pftaskqueue's `worker:` keys (beside `name` and `concurrency`, which Errand spells the same).
    static let workerKeys: Set<String> = [
        "queueName", "name", "concurrency", "taskHandler", "heartBeat", "exitOnSuspend", "exitOnEmpty", "exitOnEmptyGracePeriod",
        "numTasks", "workDir", "numWorkerSalvageOnStartup",
    ]

    /// Whether a `worker:` section is written with pftaskqueue's keys.
    static func isPftaskqueue(_ section: [String: Any]) -> Bool {
        section.keys.contains { workerKeys.contains($0) && $0 != "name" && $0 != "concurrency" }
    }

    /// The section with Errand's keys and values (Go durations as seconds; `numTasks` 0 or less: 0, no limit).
    /// - Throws: ``InvalidField`` naming pftaskqueue's key, e.g. `worker.heartBeat.interval`.
    static func errandWorkerSection(_ section: [String: Any]) throws(InvalidField) -> [String: Any] {
        var out: [String: Any] = [:]
        func duration(_ value: Any, _ field: String) throws(InvalidField) -> Double {
            if let text = value as? String {
                guard let seconds = GoDuration.seconds(text), seconds >= 0 else {
                    throw InvalidField(field: field, reason: "must be a Go duration such as 30s or 1m30s, got \"\(text)\"")
                }
                return seconds
            }
            return try ConfigTree.number(value, field)
        }
        func mapping(_ key: String, known: Set<String>) throws(InvalidField) -> [String: Any] {
            guard let value = section[key], !(value is NSNull) else { return [:] }
            return try ConfigTree.mapping(value, "worker.\(key)", known: known, what: "a pftaskqueue worker.\(key) setting")
        }
        if let unknown = section.keys.sorted().first(where: { !workerKeys.contains($0) }) {
            throw InvalidField(
                field: "worker.\(unknown)",
                reason: "is not a pftaskqueue worker setting (this section uses pftaskqueue's names: \(workerKeys.sorted().joined(separator: ", ")))"
            )
        }
        let renamed = [
            "queueName": "queue", "name": "name", "concurrency": "concurrency", "exitOnSuspend": "exit_on_suspend",
            "exitOnEmpty": "exit_on_empty", "workDir": "work_dir", "numWorkerSalvageOnStartup": "num_worker_salvage_on_start",
        ]
        for (from, to) in renamed { if let value = section[from] { out[to] = value } }
        if let value = section["exitOnEmptyGracePeriod"] {
            out["exit_on_empty_grace_period"] = try duration(value, "worker.exitOnEmptyGracePeriod")
        }
        if let value = section["numTasks"] { out["num_tasks"] = max(0, try ConfigTree.integer(value, "worker.numTasks")) }
        let handler = try mapping("taskHandler", known: ["defaultTimeout", "cleanupWorkspaceDir", "commands"])
        if let value = handler["defaultTimeout"] { out["default_timeout"] = try duration(value, "worker.taskHandler.defaultTimeout") }
        if let value = handler["cleanupWorkspaceDir"] { out["cleanup_workspace"] = value }
        if let value = handler["commands"] { out["command"] = value }
        let heartBeat = try mapping("heartBeat", known: ["interval", "expirationDuration", "salvageDuration"])
        if let value = heartBeat["interval"] { out["heartbeat_interval"] = try duration(value, "worker.heartBeat.interval") }
        if let value = heartBeat["expirationDuration"] {
            out["heartbeat_expiration"] = try duration(value, "worker.heartBeat.expirationDuration")
        }
        if let value = heartBeat["salvageDuration"] { out["salvage_after"] = try duration(value, "worker.heartBeat.salvageDuration") }
        return out
    }
}
