import ErrandCore
import ErrandStore
import Foundation

/// The API's JSON shapes (`components.schemas`) read back into records, and request bodies written.
enum RemoteCoding {
    /// JSON text to send as it is (a task's arguments, a result).
    struct Raw {
        let text: String
        init(_ text: String) { self.text = text }
    }

    static func newTask(_ task: NewTask) -> [String: Any] {
        var body: [String: Any] = [
            "handler": task.handler, "arguments": Raw(task.arguments), "queue": task.queue, "priority": task.priority,
            "time_to_resolve": task.timeToResolve, "tags": task.tags, "retry": retry(task.retry),
        ]
        if let runAt = task.runAt { body["run_at"] = runAt.iso8601 }
        if let key = task.idempotencyKey { body["idempotency_key"] = key }
        if let parent = task.parentID { body["parent_id"] = parent.rawValue }
        if let module = task.module { body["module"] = module }
        if let name = task.name { body["name"] = name }
        if let timeout = task.timeout { body["timeout"] = timeout }
        let labels = [
            ("type", task.type), ("scope", task.scope), ("entity", task.entity), ("keyspace", task.keyspace),
            ("table", task.table), ("progress_units", task.progressUnits),
        ]
        for (key, value) in labels { if let value { body[key] = value } }
        body["internal"] = task.isInternal
        body["locality"] = task.locality.rawValue
        body["abortable"] = task.isAbortable
        body["user_task"] = task.isUserTask
        if let target = task.targetWorker { body["target_worker"] = target }
        return body
    }

    static func retry(_ policy: RetryPolicy) -> [String: Any] {
        [
            "max_attempts": policy.maxAttempts, "delay": policy.delay, "delay_factor": policy.delayFactor, "max_delay": policy.maxDelay,
            "jitter": policy.jitter, "priority_decrement": policy.priorityDecrement,
        ]
    }

    /// JSON text of a body; `nil` values (`Optional.none` as `Any`) are left out.
    static func json(_ value: Any) -> String { output(value).text }

    private static func output(_ value: Any) -> OutputJSON {
        switch value {
        case let raw as Raw: return .raw(raw.text)
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(number)
        case let number as Double: return .number(number)
        case let list as [Any]: return .array(list.map(output))
        case let object as [String: Any]:
            return .object(object.keys.sorted().compactMap { key in isNil(object[key] as Any) ? nil : (key, output(object[key] as Any)) })
        default: return .null
        }
    }

    /// Whether `value` is an `Optional` holding nothing (a `String?` put into `[String: Any]`).
    private static func isNil(_ value: Any) -> Bool {
        let mirror = Mirror(reflecting: value)
        return mirror.displayStyle == .optional && mirror.children.isEmpty
    }

    // MARK: reading

    static func list(_ value: Any?) throws -> [[String: Any]] {
        guard let list = value as? [[String: Any]] else { throw StoreError(.corrupt, "the server's answer is not the documented list") }
        return list
    }

    static func task(_ value: Any?) throws -> TaskRecord {
        guard let object = value as? [String: Any], let id = (object["id"] as? String).flatMap(TaskID.init),
            let state = (object["state"] as? String).flatMap(TaskState.init(rawValue:))
        else { throw StoreError(.corrupt, "the server's answer is not a task") }
        let retry = object["retry"] as? [String: Any] ?? [:]
        return TaskRecord(
            id: id,
            queue: object["queue"] as? String ?? "",
            handler: object["handler"] as? String ?? "",
            arguments: text(object["arguments"]) ?? "{}",
            priority: object["priority"] as? Int ?? 0,
            runAt: date(object["run_at"]) ?? Date(timeIntervalSince1970: 0),
            state: state,
            attempt: object["attempt"] as? Int ?? 0,
            chargedAttempts: object["charged_attempts"] as? Int ?? 0,
            retry: RetryPolicy(
                maxAttempts: retry["max_attempts"] as? Int ?? RetryPolicy.default.maxAttempts,
                delay: number(retry["delay"]) ?? RetryPolicy.default.delay,
                delayFactor: number(retry["delay_factor"]) ?? RetryPolicy.default.delayFactor,
                maxDelay: number(retry["max_delay"]) ?? RetryPolicy.default.maxDelay,
                jitter: number(retry["jitter"]) ?? 0,
                priorityDecrement: retry["priority_decrement"] as? Int ?? 0
            ),
            timeToResolve: number(object["time_to_resolve"]) ?? NewTask.defaultTimeToResolve,
            idempotencyKey: object["idempotency_key"] as? String,
            parentID: (object["parent_id"] as? String).flatMap(TaskID.init),
            rootID: (object["root_id"] as? String).flatMap(TaskID.init),
            module: object["module"] as? String,
            isInternal: object["internal"] as? Bool ?? false,
            tags: object["tags"] as? [String] ?? [],
            createdAt: date(object["created_at"]) ?? Date(timeIntervalSince1970: 0),
            startedAt: date(object["started_at"]),
            finishedAt: date(object["finished_at"]),
            result: text(object["result"]),
            message: object["message"] as? String,
            lastError: object["last_error"] as? String,
            worker: object["worker"] as? String,
            leaseExpiresAt: date(object["lease_expires_at"]),
            name: object["name"] as? String,
            timeout: number(object["timeout"]),
            progressCompleted: number((object["progress"] as? [String: Any])?["completed"]),
            progressTotal: number((object["progress"] as? [String: Any])?["total"]),
            progressUnits: object["progress_units"] as? String,
            type: object["type"] as? String,
            scope: object["scope"] as? String,
            entity: object["entity"] as? String,
            keyspace: object["keyspace"] as? String,
            table: object["table"] as? String,
            locality: (object["locality"] as? String).flatMap(TaskLocality.init(rawValue:)) ?? .local,
            isAbortable: object["abortable"] as? Bool ?? true,
            sequenceNumber: object["sequence_number"] as? Int,
            isUserTask: object["user_task"] as? Bool ?? false,
            targetWorker: object["target_worker"] as? String,
            hasChildren: object["has_children"] as? Bool ?? false,
            isFolded: object["folded"] as? Bool ?? false
        )
    }

    static func attempt(_ object: [String: Any]) throws -> Attempt {
        guard let id = (object["task_id"] as? String).flatMap(TaskID.init),
            let outcome = (object["outcome"] as? String).flatMap(AttemptOutcome.init(rawValue:))
        else { throw StoreError(.corrupt, "the server's answer is not an attempt") }
        return Attempt(
            taskID: id,
            number: object["number"] as? Int ?? 0,
            handler: object["handler"] as? String ?? "",
            worker: object["worker"] as? String ?? "",
            startedAt: date(object["started_at"]) ?? Date(timeIntervalSince1970: 0),
            finishedAt: date(object["finished_at"]) ?? Date(timeIntervalSince1970: 0),
            outcome: outcome,
            message: object["message"] as? String,
            result: text(object["result"]),
            salvagedBy: object["salvaged_by"] as? String,
            salvagedAt: date(object["salvaged_at"])
        )
    }

    static func queue(_ object: [String: Any]) throws -> QueueRecord {
        guard let name = object["name"] as? String, let state = (object["state"] as? String).flatMap(QueueState.init(rawValue:)) else {
            throw StoreError(.corrupt, "the server's answer is not a queue")
        }
        return QueueRecord(
            name: name,
            state: state,
            createdAt: date(object["created_at"]) ?? Date(timeIntervalSince1970: 0),
            updatedAt: date(object["updated_at"]) ?? Date(timeIntervalSince1970: 0)
        )
    }

    static func worker(_ object: [String: Any]) throws -> WorkerRecord {
        guard let id = object["id"] as? String, let state = (object["state"] as? String).flatMap(WorkerState.init(rawValue:)) else {
            throw StoreError(.corrupt, "the server's answer is not a worker")
        }
        let started = date(object["started_at"]) ?? Date(timeIntervalSince1970: 0)
        let heartbeat = date(object["last_heartbeat_at"]) ?? started
        return WorkerRecord(
            id: id,
            name: object["name"] as? String ?? "",
            leaseName: object["lease_name"] as? String ?? "",
            queues: object["queues"] as? [String] ?? [],
            spec: text(object["spec"]) ?? "{}",
            state: state,
            startedAt: started,
            lastHeartbeatAt: heartbeat,
            heartbeatExpiration: max(0, (date(object["expires_at"]) ?? heartbeat).timeIntervalSince(heartbeat)),
            finishedAt: date(object["finished_at"]),
            salvagedBy: object["salvaged_by"] as? String,
            salvagedAt: date(object["salvaged_at"])
        )
    }

    static func deadLetter(_ object: [String: Any]) throws -> DeadLetter {
        guard let id = object["id"] as? String else { throw StoreError(.corrupt, "the server's answer is not a dead letter") }
        return DeadLetter(
            id: id,
            queue: object["queue"] as? String,
            body: object["body"] as? String ?? "",
            error: object["error"] as? String ?? "",
            createdAt: date(object["created_at"]) ?? Date(timeIntervalSince1970: 0)
        )
    }

    static func counts(_ value: Any?) -> [TaskState: Int] {
        var counts: [TaskState: Int] = [:]
        for (name, count) in value as? [String: Any] ?? [:] {
            if let state = TaskState(rawValue: name), let count = count as? Int, count > 0 { counts[state] = count }
        }
        return counts
    }

    private static func date(_ value: Any?) -> Date? { (value as? String).flatMap(RFC3339.date)?.wholeMilliseconds }

    private static func number(_ value: Any?) -> Double? {
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        return nil
    }

    /// A JSON value (as parsed) back to JSON text; `nil` for `null`.
    private static func text(_ value: Any?) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
