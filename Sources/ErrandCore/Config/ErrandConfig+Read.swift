import Foundation

extension ErrandConfig {
    static let topKeys: Set<String> = ["tasks", "task_storage", "task_runner", "worker", "http", "observers"]
    static let storageKeys: Set<String> = ["task_ttr", "task_log_max_size", "finished_ttl", "user_task_ttl", "archive_older_than"]
    static let runnerKeys: Set<String> = ["capacity", "tags"]
    static let definitionKeys: Set<String> = [
        "kind", "func_name", "handler", "command", "args", "arguments", "schedule", "timezone", "pause_sec", "time_to_resolve", "timeout", "queue",
        "priority", "max_attempts", "delay", "delay_factor", "max_delay", "jitter", "priority_decrement",
        "skip_if_outstanding", "catch_up", "meta", "fixed_lease",
    ]

    /// Reads a parsed YAML or JSON document (an empty document is the default configuration).
    /// - Throws: ``ConfigProblems`` listing every problem found with its path (within one definition or section, the
    ///   first), e.g. `tasks.my_reload.schedule: field 2 "61": minute must be 0-59`.
    public init(document: Any?) throws(ConfigProblems) {
        self.init()
        guard let document, !(document is NSNull) else { return }
        guard let top = document as? [String: Any] else {
            throw ConfigProblems([InvalidField(field: "config", reason: "must be a mapping of sections, got \(ConfigTree.describe(document))")])
        }
        for key in top.keys.sorted() { if let notice = PftaskqueueConfig.unusedSections[key] { notices.append(notice) } }
        var problems = top.keys.sorted().filter { !Self.topKeys.contains($0) && PftaskqueueConfig.unusedSections[$0] == nil }.map { key in
            InvalidField(field: key, reason: "is not a top-level section; known: \(Self.topKeys.sorted().joined(separator: ", "))")
        }
        do { try readStorage(top["task_storage"]) } catch { problems.append(error) }
        do { try readRunner(top["task_runner"]) } catch { problems.append(error) }
        if let section = top["worker"], !(section is NSNull) {
            do {
                // pftaskqueue's camelCase section is rewritten into Errand's keys, then read by the same rules.
                if let keys = section as? [String: Any], PftaskqueueConfig.isPftaskqueue(keys) {
                    worker = try WorkerSettings(section: try PftaskqueueConfig.errandWorkerSection(keys))
                } else {
                    worker = try WorkerSettings(section: section)
                }
            } catch {
                problems.append(error)
            }
        }
        if let section = top["http"], !(section is NSNull) {
            do { http = try HTTPSettings(section: section) } catch { problems.append(error) }
        }
        if let value = top["tasks"], !(value is NSNull) {
            if let definitions = value as? [String: Any] {
                for name in definitions.keys.sorted() {
                    do {
                        tasks[name] = try Self.definition(name, definitions[name] as Any, defaultTTR: storage.taskTTR, warnings: &warnings)
                    } catch {
                        problems.append(error)
                    }
                }
            } else {
                problems.append(
                    InvalidField(field: "tasks", reason: "must be a mapping of task names to definitions, got \(ConfigTree.describe(value))")
                )
            }
        }
        if let value = top["observers"], !(value is NSNull) {
            if let entries = value as? [String: Any] {
                for name in entries.keys.sorted() {
                    do { observers[name] = try Observer(name: name, configValue: entries[name] as Any) } catch { problems.append(error) }
                }
            } else {
                problems.append(
                    InvalidField(field: "observers", reason: "must be a mapping of observer names to queries, got \(ConfigTree.describe(value))")
                )
            }
        }
        if !problems.isEmpty { throw ConfigProblems(problems) }
    }

    private mutating func readStorage(_ value: Any?) throws(InvalidField) {
        guard let value, !(value is NSNull) else { return }
        let section = try ConfigTree.mapping(value, "task_storage", known: Self.storageKeys, what: "a task_storage setting")
        if let value = section["task_ttr"] { storage.taskTTR = try Self.positive(value, "task_storage.task_ttr") }
        if let value = section["finished_ttl"] { storage.finishedTTL = try Self.positive(value, "task_storage.finished_ttl") }
        if let value = section["user_task_ttl"] { storage.userTaskTTL = try Self.positive(value, "task_storage.user_task_ttl") }
        if let value = section["archive_older_than"] {
            storage.archiveOlderThan = try Self.positive(value, "task_storage.archive_older_than")
        }
        if let value = section["task_log_max_size"] {
            storage.taskLogMaxSize = try ConfigTree.integer(value, "task_storage.task_log_max_size", atLeast: 1)
        }
    }

    private mutating func readRunner(_ value: Any?) throws(InvalidField) {
        guard let value, !(value is NSNull) else { return }
        let section = try ConfigTree.mapping(value, "task_runner", known: Self.runnerKeys, what: "a task_runner setting")
        if let value = section["capacity"] { runner.capacity = try ConfigTree.integer(value, "task_runner.capacity", atLeast: 1) }
        if let value = section["tags"] {
            guard let list = value as? [Any] else { throw InvalidField(field: "task_runner.tags", reason: "must be a list of tags") }
            var tags: [String] = []
            for (index, tag) in list.enumerated() { tags.append(try ConfigTree.string(tag, "task_runner.tags[\(index)]")) }
            runner.tags = tags
            if let problem = Requirement.problem(runner.tags) { throw InvalidField(field: "task_runner.tags", reason: problem) }
        }
    }

    private static func positive(_ value: Any, _ field: String) throws(InvalidField) -> Double {
        try InvalidField.seconds(try ConfigTree.number(value, field), field)
    }

    static func definition(_ name: String, _ value: Any, defaultTTR: Double, warnings: inout [String]) throws(InvalidField) -> TaskDefinition {
        let path = "tasks.\(name)"
        func field(_ key: String) -> String { "\(path).\(key)" }
        if let problem = DefinitionName.problem(name) { throw InvalidField(field: path, reason: problem) }
        let mapping = try ConfigTree.mapping(value, path, known: definitionKeys, what: "a task definition key")
        guard let kindValue = mapping["kind"] else {
            throw InvalidField(field: field("kind"), reason: "is required: periodical, continuous or single_shot")
        }
        let kindText = try ConfigTree.string(kindValue, field("kind"))
        guard let kind = TaskDefinition.Kind(rawValue: kindText) else {
            throw InvalidField(field: field("kind"), reason: "must be periodical, continuous or single_shot, got \"\(kindText)\"")
        }
        var definition: TaskDefinition
        if let command = mapping["command"] {
            // A program to run (no shell): the built-in errand.command handler with this argv.
            guard mapping["func_name"] == nil, mapping["handler"] == nil, mapping["args"] == nil, mapping["arguments"] == nil else {
                throw InvalidField(field: field("command"), reason: "replaces func_name and args; give one or the other")
            }
            guard let list = command as? [Any], !list.isEmpty else {
                throw InvalidField(field: field("command"), reason: "must be a non-empty list: the program and its arguments (no shell)")
            }
            var argv: [String] = []
            for (index, item) in list.enumerated() { argv.append(try ConfigTree.string(item, field("command[\(index)]"))) }
            definition = TaskDefinition(name: name, kind: kind, handler: "errand.command")
            definition.arguments = try ConfigTree.jsonText(["argv": argv], field("command"))
        } else {
            guard let handlerValue = mapping["func_name"] ?? mapping["handler"] else {
                throw InvalidField(field: field("func_name"), reason: "is required: the name of the handler that runs each launch (or give command)")
            }
            definition = TaskDefinition(name: name, kind: kind, handler: try ConfigTree.string(handlerValue, field("func_name")))
            if let value = mapping["args"] ?? mapping["arguments"] { definition.arguments = try ConfigTree.jsonText(value, field("args")) }
        }
        definition.timeToResolve = defaultTTR
        if let value = mapping["queue"] { definition.queue = try ConfigTree.string(value, field("queue")) }
        if let value = mapping["priority"] { definition.priority = try ConfigTree.integer(value, field("priority")) }
        if let value = mapping["time_to_resolve"] { definition.timeToResolve = try ConfigTree.number(value, field("time_to_resolve")) }
        if let value = mapping["timeout"] { definition.timeout = try ConfigTree.number(value, field("timeout")) }
        if let value = mapping["fixed_lease"] { definition.fixedLease = try ConfigTree.bool(value, field("fixed_lease")) }
        if let value = mapping["max_attempts"] { definition.retry.maxAttempts = try ConfigTree.integer(value, field("max_attempts")) }
        if let value = mapping["delay"] { definition.retry.delay = try ConfigTree.number(value, field("delay")) }
        if let value = mapping["delay_factor"] { definition.retry.delayFactor = try ConfigTree.number(value, field("delay_factor")) }
        if let value = mapping["max_delay"] { definition.retry.maxDelay = try ConfigTree.number(value, field("max_delay")) }
        if let value = mapping["jitter"] { definition.retry.jitter = try ConfigTree.number(value, field("jitter")) }
        if let value = mapping["meta"] {
            guard value is [String: Any] else {
                throw InvalidField(field: field("meta"), reason: "must be a mapping (each launch's meta, a JSON object)")
            }
            definition.meta = try ConfigTree.jsonText(value, field("meta"))
        }
        if let value = mapping["priority_decrement"] {
            definition.retry.priorityDecrement = try ConfigTree.integer(value, field("priority_decrement"))
        }
        try onlyFor(.periodical, keys: ["schedule", "timezone", "skip_if_outstanding", "catch_up"], in: mapping, kind: kind, path: path)
        try onlyFor(.continuous, keys: ["pause_sec"], in: mapping, kind: kind, path: path)
        if kind == .periodical {
            guard let value = mapping["schedule"] else {
                throw InvalidField(field: field("schedule"), reason: "is required for a periodical task: a cron expression such as \"0 */5 * * * *\"")
            }
            let text = try ConfigTree.string(value, field("schedule"))
            let reading = TarantoolSchedule.reading(of: text)
            do {
                definition.schedule = try CronSchedule(reading ?? text)
            } catch {
                throw InvalidField(field: field("schedule"), reason: error.description)
            }
            if let value = mapping["timezone"] {
                definition.timeZone = try ConfigTree.string(value, field("timezone"))
                guard TimeZone(identifier: definition.timeZone) != nil else {
                    throw InvalidField(
                        field: field("timezone"),
                        reason: "unknown time zone \"\(definition.timeZone)\" (use an IANA name such as Europe/Paris)"
                    )
                }
            }
            if let value = mapping["skip_if_outstanding"] { definition.skipIfOutstanding = try ConfigTree.bool(value, field("skip_if_outstanding")) }
            if let value = mapping["catch_up"] {
                let text = try ConfigTree.string(value, field("catch_up"))
                guard let policy = TaskDefinition.CatchUp(rawValue: text) else {
                    throw InvalidField(field: field("catch_up"), reason: "must be latest, all or none, got \"\(text)\"")
                }
                definition.catchUp = policy
            }
            if reading != nil, let schedule = definition.schedule, let zone = TimeZone(identifier: definition.timeZone) {
                warnings.append(TarantoolSchedule.warning(field: field("schedule"), text: text, schedule: schedule, zone: zone, now: Date()))
            }
        }
        if let value = mapping["pause_sec"] {
            definition.pauseSeconds = try InvalidField.seconds(try ConfigTree.number(value, field("pause_sec")), field("pause_sec"), allowZero: true)
        }
        // The launches must be valid tasks: handler and queue names, priority, time_to_resolve, retry policy.
        do {
            try definition.newTask().validate()
        } catch {
            let renamed = error.field == "handler" ? InvalidField(field: "func_name", reason: error.reason) : error
            throw renamed.field.hasPrefix("retry.")
                ? InvalidField(field: field(String(renamed.field.dropFirst("retry.".count))), reason: renamed.reason)
                : renamed.nested(under: path)
        }
        return definition
    }

    private static func onlyFor(
        _ kind: TaskDefinition.Kind,
        keys: [String],
        in mapping: [String: Any],
        kind actual: TaskDefinition.Kind,
        path: String
    ) throws(InvalidField) {
        guard actual != kind, let key = keys.first(where: { mapping[$0] != nil }) else { return }
        throw InvalidField(field: "\(path).\(key)", reason: "applies only to \(kind.rawValue) tasks; this one is \(actual.rawValue)")
    }
}

extension TaskDefinition {
    /// Reads one definition given with the configuration file's keys (a `tasks:` entry: a mapping as YAML or JSON
    /// parses it), by the file's rules; problems name `tasks.<name>.<key>`.
    public init(name: String, configValue: Any, defaultTTR: Double = NewTask.defaultTimeToResolve) throws(InvalidField) {
        var warnings: [String] = []
        self = try ErrandConfig.definition(name, configValue, defaultTTR: defaultTTR, warnings: &warnings)
    }

    /// Reads one definition from the JSON text of its configuration keys (a definition kept in the store).
    public init(name: String, specJSON: String, defaultTTR: Double = NewTask.defaultTimeToResolve) throws(InvalidField) {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(specJSON.utf8))
        } catch {
            throw InvalidField(field: "tasks.\(name)", reason: "is not a JSON object: \(specJSON.prefix(80))")
        }
        try self.init(name: name, configValue: value, defaultTTR: defaultTTR)
    }
}

/// Names of task definitions: what `errand task start NAME` takes.
public enum DefinitionName {
    /// Why `name` cannot name a definition, or `nil`.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a task name must not be empty" }
        if name.utf8.count > 128 { return "a task name must be at most 128 bytes" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)
        if let bad = name.unicodeScalars.first(where: { !$0.isASCII || !allowed.contains(UInt8($0.value)) }) {
            return "task name \"\(name)\" contains \"\(bad)\"; use letters, digits, '-', '_' and '.'"
        }
        return nil
    }
}

/// Every problem of a configuration, one per definition or section, each with its path.
public struct ConfigProblems: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [InvalidField]

    public init(_ problems: [InvalidField]) { self.problems = problems }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
