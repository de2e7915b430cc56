import ErrandCore
import Foundation
import Yams

/// Reads task specs from YAML or JSON text (JSON is read as YAML).
///
/// The text holds one task (a mapping), a list of tasks, or a mapping with a `tasks:` list. A task's keys:
/// `handler`, `args` (or `arguments`, any JSON value), `queue`, `priority`, `run_at` (ISO 8601), `max_attempts`,
/// `delay`, `delay_factor`, `max_delay`, `jitter`, `priority_decrement` (also accepted nested under `retry:`),
/// `time_to_resolve` (or `ttr`), `idempotency_key`, `tags`, `parent_id`, `module`. Keys not given take their value
/// from `defaults` (the command-line flags). An unknown key or a wrong type is an error naming its path.
enum TaskSpec {
    static let retryKeys: Set<String> = ["max_attempts", "delay", "delay_factor", "max_delay", "jitter", "priority_decrement"]
    static let taskKeys: Set<String> = Set([
        "handler", "args", "arguments", "queue", "priority", "run_at", "retry", "time_to_resolve", "ttr", "idempotency_key",
        "tags", "parent_id", "module",
    ]).union(retryKeys)

    /// Parses `text` into tasks.
    /// - Throws: ``InvalidField`` naming the path of the first problem (e.g. `tasks[2].priority`).
    static func parse(_ text: String, defaults: NewTask) throws -> [NewTask] {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw InvalidField(field: "spec", reason: "is not valid YAML or JSON: \(error)")
        }
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
        if let value = mapping["args"] ?? mapping["arguments"] { task.arguments = try ConfigTree.jsonText(value, field("args")) }
        if let value = mapping["queue"] { task.queue = try ConfigTree.string(value, field("queue")) }
        if let value = mapping["priority"] { task.priority = try ConfigTree.integer(value, field("priority")) }
        if let value = mapping["run_at"] { task.runAt = try date(value, field("run_at")) }
        if let value = mapping["time_to_resolve"] ?? mapping["ttr"] { task.timeToResolve = try ConfigTree.number(value, field("time_to_resolve")) }
        if let value = mapping["idempotency_key"] { task.idempotencyKey = try ConfigTree.string(value, field("idempotency_key")) }
        if let value = mapping["module"] { task.module = try ConfigTree.string(value, field("module")) }
        if let value = mapping["parent_id"] {
            let text = try ConfigTree.string(value, field("parent_id"))
            guard let id = TaskID(text) else { throw InvalidField(field: field("parent_id"), reason: "is not a task id: \(text)") }
            task.parentID = id
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

    private static func date(_ value: Any, _ field: String) throws -> Date {
        if let date = value as? Date { return date }
        if let text = value as? String, let date = parseDate(text) { return date }
        throw InvalidField(field: field, reason: "must be an ISO 8601 time such as 2026-11-24T12:00:00Z, got \(ConfigTree.describe(value))")
    }

    /// Parses ISO 8601 with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
