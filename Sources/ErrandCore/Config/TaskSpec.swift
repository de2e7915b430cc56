import Foundation

/// Reads task specs from a parsed YAML or JSON document (`errand task add -f`, `add-task`, a handler's
/// `output/postHooks.json`).
///
/// The document holds one task (a mapping), a list of tasks, or a mapping with a `tasks:` list. A task's keys:
/// `handler`, `args` (or `arguments`, any JSON value), `queue`, `priority`, `run_at` (ISO 8601), `max_attempts`
/// (-1 = no limit), `delay`, `delay_factor`, `max_delay`, `jitter`, `priority_decrement` (also accepted nested under
/// `retry:`), `time_to_resolve` (or `ttr`), `fixed_lease`, `requires`, `timeout`, `idempotency_key`, `tags`, `parent_id`, `module`, `name`;
/// and for task trees `type`, `scope`, `keyspace`, `table`, `entity`, `progress_units`, `internal`, `abortable`.
///
/// pftaskqueue's `TaskSpec` keys are read too, so its task files work unchanged: `payload` (text; stored as a JSON
/// string, handed back as the text), `retryLimit` (retries after the first attempt; negative = no limit; 0 when
/// absent), `timeoutSeconds` (0 or absent = the worker's default). A task that names no handler gets
/// ``TaskSpec/processHandler``, the handler `errand worker -- CMD` runs.
///
/// Keys not given take their value from `defaults` (the command-line flags). An unknown key or a wrong type is an
/// error naming its path.
public enum TaskSpec {
    /// The handler of tasks run by a child-process worker (`errand worker -- CMD`), and of specs that name none.
    public static let processHandler = "errand.process"

    static let retryKeys: Set<String> = ["max_attempts", "delay", "delay_factor", "max_delay", "jitter", "priority_decrement"]
    static let pftaskqueueKeys: Set<String> = ["payload", "retryLimit", "timeoutSeconds"]
    static let taskKeys: Set<String> = Set([
        "handler", "args", "arguments", "queue", "priority", "run_at", "retry", "time_to_resolve", "ttr", "timeout",
        "idempotency_key", "tags", "parent_id", "module", "name", "fixed_lease", "requires",
    ]).union(retryKeys).union(pftaskqueueKeys).union(TaskTreeFields.Values.labels.map(\.name)).union(["internal", "abortable"])

    /// Reads the tasks of a parsed document.
    /// - Throws: ``InvalidField`` naming the path of the first problem (e.g. `tasks[2].priority`).
    public static func tasks(in document: Any?, defaults: NewTask) throws -> [NewTask] {
        switch document {
        case let list as [Any]:
            return try list.enumerated().map { index, item in try task(item, path: "[\(index)]", defaults: defaults) }
        case let mapping as [String: Any] where mapping["tasks"] != nil:
            guard mapping.count == 1 else { throw InvalidField(field: "spec", reason: "a mapping with `tasks:` may hold nothing else") }
            guard let list = mapping["tasks"] as? [Any] else { throw InvalidField(field: "tasks", reason: "must be a list of tasks") }
            return try list.enumerated().map { index, item in try task(item, path: "tasks[\(index)]", defaults: defaults) }
        case .some(let item):
            return [try task(item, path: "", defaults: defaults)]
        case .none:
            throw InvalidField(field: "spec", reason: "is empty")
        }
    }

    /// The text a handler sees as its payload: a JSON string's value, or the JSON text of anything else.
    public static func payload(ofArguments arguments: String) -> String {
        guard arguments.hasPrefix("\""),
            let text = try? JSONSerialization.jsonObject(with: Data(arguments.utf8), options: [.fragmentsAllowed]) as? String
        else { return arguments }
        return text
    }

    private static func task(_ item: Any, path: String, defaults: NewTask) throws -> NewTask {
        func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        guard let mapping = item as? [String: Any] else {
            throw InvalidField(field: path.isEmpty ? "spec" : path, reason: "must be a mapping of task fields")
        }
        if let unknown = mapping.keys.sorted().first(where: { !taskKeys.contains($0) }) {
            throw InvalidField(field: field(unknown), reason: "is not a task field; known fields: \(taskKeys.sorted().joined(separator: ", "))")
        }
        var task = defaults
        if let value = mapping["handler"] { task.handler = try ConfigTree.string(value, field("handler")) }
        if task.handler.isEmpty { task.handler = processHandler }
        if let value = mapping["args"] ?? mapping["arguments"] { task.arguments = try ConfigTree.jsonText(value, field("args")) }
        if let value = mapping["payload"] {
            guard mapping["args"] == nil, mapping["arguments"] == nil else {
                throw InvalidField(field: field("payload"), reason: "give either payload (text) or args (JSON), not both")
            }
            task.arguments = try ConfigTree.jsonText(try scalarText(value, field("payload")), field("payload"))
        }
        if let value = mapping["name"] { task.name = try scalarText(value, field("name")) }
        if let value = mapping["timeout"] { task.timeout = try ConfigTree.number(value, field("timeout")) }
        if let value = mapping["timeoutSeconds"] {
            let seconds = try ConfigTree.number(value, field("timeoutSeconds"))
            task.timeout = seconds > 0 ? seconds : nil
        }
        if let value = mapping["retryLimit"] {
            task.retry.retryLimit = try ConfigTree.integer(value, field("retryLimit"))
        } else if mapping.keys.contains(where: pftaskqueueKeys.contains) {
            // pftaskqueue's default: no retry.
            task.retry.maxAttempts = 1
        }
        if let value = mapping["queue"] { task.queue = try ConfigTree.string(value, field("queue")) }
        if let value = mapping["priority"] { task.priority = try ConfigTree.integer(value, field("priority")) }
        if let value = mapping["run_at"] { task.runAt = try date(value, field("run_at")) }
        if let value = mapping["time_to_resolve"] ?? mapping["ttr"] { task.timeToResolve = try ConfigTree.number(value, field("time_to_resolve")) }
        if let value = mapping["fixed_lease"] { task.fixedLease = try ConfigTree.bool(value, field("fixed_lease")) }
        if let value = mapping["idempotency_key"] { task.idempotencyKey = try ConfigTree.string(value, field("idempotency_key")) }
        if let value = mapping["module"] { task.module = try ConfigTree.string(value, field("module")) }
        for (key, label) in TaskTreeFields.Values.labels {
            if let value = mapping[key] { task.tree[keyPath: label] = try ConfigTree.string(value, field(key)) }
        }
        if let value = mapping["internal"] { task.isInternal = try ConfigTree.bool(value, field("internal")) }
        if let value = mapping["abortable"] { task.isAbortable = try ConfigTree.bool(value, field("abortable")) }
        if let value = mapping["parent_id"] {
            let text = try ConfigTree.string(value, field("parent_id"))
            guard let id = TaskID(text) else { throw InvalidField(field: field("parent_id"), reason: "is not a task id: \(text)") }
            task.parentID = id
        }
        if let value = mapping["requires"] {
            guard let list = value as? [Any] else { throw InvalidField(field: field("requires"), reason: "must be a list of tags") }
            task.requires = try list.enumerated().map { index, tag in try ConfigTree.string(tag, field("requires[\(index)]")) }
        }
        if let value = mapping["tags"] {
            guard let list = value as? [Any] else { throw InvalidField(field: field("tags"), reason: "must be a list of strings") }
            task.tags = try list.enumerated().map { index, tag in try ConfigTree.string(tag, field("tags[\(index)]")) }
        }
        var retry = mapping
        var retryPath = path
        if let nested = mapping["retry"] {
            guard let nested = nested as? [String: Any] else { throw InvalidField(field: field("retry"), reason: "must be a mapping") }
            if let unknown = nested.keys.sorted().first(where: { !retryKeys.contains($0) }) {
                throw InvalidField(
                    field: field("retry.\(unknown)"),
                    reason: "is not a retry field; known: \(retryKeys.sorted().joined(separator: ", "))"
                )
            }
            retry = nested
            retryPath = field("retry")
        }
        func retryField(_ key: String) -> String { retryPath.isEmpty ? key : "\(retryPath).\(key)" }
        if let value = retry["max_attempts"] { task.retry.maxAttempts = try ConfigTree.integer(value, retryField("max_attempts")) }
        if let value = retry["delay"] { task.retry.delay = try ConfigTree.number(value, retryField("delay")) }
        if let value = retry["delay_factor"] { task.retry.delayFactor = try ConfigTree.number(value, retryField("delay_factor")) }
        if let value = retry["max_delay"] { task.retry.maxDelay = try ConfigTree.number(value, retryField("max_delay")) }
        if let value = retry["jitter"] { task.retry.jitter = try ConfigTree.number(value, retryField("jitter")) }
        if let value = retry["priority_decrement"] { task.retry.priorityDecrement = try ConfigTree.integer(value, retryField("priority_decrement")) }
        do {
            try task.validate()
        } catch {
            throw path.isEmpty ? error : error.nested(under: path)
        }
        return task
    }

    /// A payload or name: text, or a number or boolean written without quotes.
    private static func scalarText(_ value: Any, _ field: String) throws(InvalidField) -> String {
        switch value {
        case let text as String: return text
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        case let flag as Bool: return String(flag)
        default: throw InvalidField(field: field, reason: "must be text, got \(ConfigTree.describe(value))")
        }
    }

    private static func date(_ value: Any, _ field: String) throws(InvalidField) -> Date {
        if let date = value as? Date { return date }
        if let text = value as? String, let date = ISOTime.instant(text) { return date }
        throw InvalidField(field: field, reason: "must be an ISO 8601 time such as 2026-11-24T12:00:00Z, got \(ConfigTree.describe(value))")
    }
}
