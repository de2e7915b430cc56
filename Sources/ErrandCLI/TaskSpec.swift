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
        if let value = mapping["handler"] { task.handler = try string(value, field("handler")) }
        if let value = mapping["args"] ?? mapping["arguments"] { task.arguments = try jsonText(value, field("args")) }
        if let value = mapping["queue"] { task.queue = try string(value, field("queue")) }
        if let value = mapping["priority"] { task.priority = try integer(value, field("priority")) }
        if let value = mapping["run_at"] { task.runAt = try date(value, field("run_at")) }
        if let value = mapping["time_to_resolve"] ?? mapping["ttr"] { task.timeToResolve = try number(value, field("time_to_resolve")) }
        if let value = mapping["idempotency_key"] { task.idempotencyKey = try string(value, field("idempotency_key")) }
        if let value = mapping["module"] { task.module = try string(value, field("module")) }
        if let value = mapping["parent_id"] {
            let text = try string(value, field("parent_id"))
            guard let id = TaskID(text) else { throw InvalidField(field: field("parent_id"), reason: "is not a task id: \(text)") }
            task.parentID = id
        }
        if let value = mapping["tags"] {
            guard let list = value as? [Any] else { throw InvalidField(field: field("tags"), reason: "must be a list of strings") }
            task.tags = try list.enumerated().map { index, tag in try string(tag, field("tags[\(index)]")) }
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
        if let value = retry["max_attempts"] { task.retry.maxAttempts = try integer(value, retryField("max_attempts")) }
        if let value = retry["delay"] { task.retry.delay = try number(value, retryField("delay")) }
        if let value = retry["delay_factor"] { task.retry.delayFactor = try number(value, retryField("delay_factor")) }
        if let value = retry["max_delay"] { task.retry.maxDelay = try number(value, retryField("max_delay")) }
        if let value = retry["jitter"] { task.retry.jitter = try number(value, retryField("jitter")) }
        if let value = retry["priority_decrement"] { task.retry.priorityDecrement = try integer(value, retryField("priority_decrement")) }
        do {
            try task.validate()
        } catch {
            throw path.isEmpty ? error : error.nested(under: path)
        }
        return task
    }

    private static func string(_ value: Any, _ field: String) throws -> String {
        if let text = value as? String { return text }
        throw InvalidField(field: field, reason: "must be a string, got \(describe(value))")
    }

    private static func integer(_ value: Any, _ field: String) throws -> Int {
        if let number = value as? Int { return number }
        throw InvalidField(field: field, reason: "must be an integer, got \(describe(value))")
    }

    private static func number(_ value: Any, _ field: String) throws -> Double {
        if let number = value as? Int { return Double(number) }
        if let number = value as? Double { return number }
        throw InvalidField(field: field, reason: "must be a number, got \(describe(value))")
    }

    private static func date(_ value: Any, _ field: String) throws -> Date {
        if let date = value as? Date { return date }
        if let text = value as? String, let date = parseDate(text) { return date }
        throw InvalidField(field: field, reason: "must be an ISO 8601 time such as 2026-11-24T12:00:00Z, got \(describe(value))")
    }

    /// Parses ISO 8601 with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    private static func jsonText(_ value: Any, _ field: String) throws -> String {
        let plain = try jsonCompatible(value, field)
        guard let data = try? JSONSerialization.data(withJSONObject: plain, options: [.fragmentsAllowed, .sortedKeys]) else {
            throw InvalidField(field: field, reason: "cannot be written as JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func jsonCompatible(_ value: Any, _ field: String) throws -> Any {
        switch value {
        case let date as Date: return Output.timestamp(date) ?? ""
        case let list as [Any]: return try list.enumerated().map { try jsonCompatible($1, "\(field)[\($0)]") }
        case let mapping as [String: Any]: return try mapping.mapValues { try jsonCompatible($0, field) }
        case is String, is Int, is Double, is Bool, is NSNull: return value
        case let data as Data: return data.base64EncodedString()
        default: throw InvalidField(field: field, reason: "holds a value JSON cannot express: \(describe(value))")
        }
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case let text as String: "\"\(text.prefix(60))\""
        case is [Any]: "a list"
        case is [String: Any]: "a mapping"
        case is NSNull: "null"
        default: "\(value)"
        }
    }
}
