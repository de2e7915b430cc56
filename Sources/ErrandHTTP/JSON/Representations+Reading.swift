import ErrandCore
import ErrandStore
import Foundation

/// The shapes of ``Representation`` read back into records (what the remote client gets from the server), strictly:
/// a member the schema requires that is missing or of the wrong type is ``StoreError`` `.corrupt`, never a default.
/// Stored JSON (arguments, results, specs) is taken as the exact text the server sent.
extension Representation {
    static func task(from json: BodyObject) throws -> TaskRecord {
        let read = ShapeReader(json, "task")
        let retry = ShapeReader(try read.object("retry"), "task's retry")
        let progress = json.object("progress").map { ShapeReader($0, "task's progress") }
        var tree = TaskTreeFields.Values(
            locality: try read.value("locality"),
            isAbortable: try read.bool("abortable"),
            sequenceNumber: json.int("sequence_number"),
            isUserTask: try read.bool("user_task"),
            targetWorker: json.string("target_worker"),
            hasChildren: try read.bool("has_children"),
            isFolded: try read.bool("folded")
        )
        for (name, field) in TaskTreeFields.Values.labels { tree[keyPath: field] = json.string(name) }
        return TaskRecord(
            id: try read.id("id"),
            queue: try read.string("queue"),
            handler: try read.string("handler"),
            arguments: try read.stored("arguments") ?? "null",
            priority: try read.int("priority"),
            runAt: try read.date("run_at"),
            state: try read.value("state"),
            attempt: try read.int("attempt"),
            chargedAttempts: try read.int("charged_attempts"),
            retry: RetryPolicy(
                maxAttempts: try retry.int("max_attempts"),
                delay: try retry.number("delay"),
                delayFactor: try retry.number("delay_factor"),
                maxDelay: try retry.number("max_delay"),
                jitter: try retry.number("jitter"),
                priorityDecrement: try retry.int("priority_decrement")
            ),
            timeToResolve: try read.number("time_to_resolve"),
            idempotencyKey: json.string("idempotency_key"),
            parentID: json.string("parent_id").flatMap(TaskID.init),
            rootID: json.string("root_id").flatMap(TaskID.init),
            module: json.string("module"),
            isInternal: try read.bool("internal"),
            tags: json.strings("tags"),
            createdAt: try read.date("created_at"),
            startedAt: try read.optionalDate("started_at"),
            finishedAt: try read.optionalDate("finished_at"),
            result: try read.stored("result"),
            message: json.string("message"),
            lastError: json.string("last_error"),
            worker: json.string("worker"),
            leaseExpiresAt: try read.optionalDate("lease_expires_at"),
            name: json.string("name"),
            timeout: json.double("timeout"),
            meta: json.isNull("meta") ? nil : try read.stored("meta"),
            fixedLease: json.bool("fixed_lease") ?? false,
            requires: json.strings("requires"),
            progressCompleted: try progress?.number("completed"),
            progressTotal: progress?.object.double("total"),
            tree: tree
        )
    }

    static func attempt(from json: BodyObject) throws -> Attempt {
        let read = ShapeReader(json, "attempt")
        return Attempt(
            taskID: try read.id("task_id"),
            number: try read.int("number"),
            handler: try read.string("handler"),
            worker: try read.string("worker"),
            startedAt: try read.date("started_at"),
            finishedAt: try read.date("finished_at"),
            outcome: try read.value("outcome"),
            message: json.string("message"),
            result: try read.stored("result"),
            salvagedBy: json.string("salvaged_by"),
            salvagedAt: try read.optionalDate("salvaged_at")
        )
    }

    static func counts(from json: BodyObject) -> [TaskState: Int] {
        var counts: [TaskState: Int] = [:]
        for state in TaskState.allCases {
            if let count = json.int(state.rawValue), count > 0 { counts[state] = count }
        }
        return counts
    }

    /// `/v1/statistics`' `statuses` and `definitions`, read back.
    static func taskStatuses(from json: BodyObject) throws -> TaskStatuses {
        let read = ShapeReader(json, "statistics")
        func statistics(_ module: String?, _ counts: BodyObject) -> LaunchStatistics {
            var statistics = LaunchStatistics(module: module, counts: [:])
            for status in LaunchStatus.allCases {
                if let count = counts.int(status.rawValue), count > 0 { statistics.counts[status] = count }
            }
            return statistics
        }
        let definitions = try read.object("definitions")
        return TaskStatuses(
            all: statistics(nil, try read.object("statuses")),
            definitions: definitions.members.keys.sorted().compactMap { name in definitions.object(name).map { statistics(name, $0) } }
        )
    }

    static func finishedMinute(from json: BodyObject) throws -> FinishedMinute {
        let read = ShapeReader(json, "finished minute")
        return FinishedMinute(minute: try read.date("minute"), counts: counts(from: try read.object("counts")))
    }

    static func queue(from json: BodyObject) throws -> QueueRecord {
        let read = ShapeReader(json, "queue")
        return QueueRecord(
            name: try read.string("name"),
            state: try read.value("state"),
            createdAt: try read.date("created_at"),
            updatedAt: try read.date("updated_at"),
            retryPriorityDecrement: try read.int("retry_priority_decrement")
        )
    }

    static func worker(from json: BodyObject) throws -> WorkerRecord {
        let read = ShapeReader(json, "worker")
        return WorkerRecord(
            id: try read.string("id"),
            name: try read.string("name"),
            leaseName: try read.string("lease_name"),
            queues: json.strings("queues"),
            spec: try read.stored("spec") ?? "{}",
            state: try read.value("state"),
            startedAt: try read.date("started_at"),
            lastHeartbeatAt: try read.date("last_heartbeat_at"),
            heartbeatExpiration: try read.number("heartbeat_expiration"),
            salvageAfter: try read.number("salvage_after"),
            finishedAt: try read.optionalDate("finished_at"),
            salvagedBy: json.string("salvaged_by"),
            salvagedAt: try read.optionalDate("salvaged_at")
        )
    }

    static func deadLetter(from json: BodyObject) throws -> DeadLetter {
        let read = ShapeReader(json, "dead letter")
        return DeadLetter(
            id: try read.string("id"),
            queue: json.string("queue"),
            body: try read.string("body"),
            error: try read.string("error"),
            createdAt: try read.date("created_at")
        )
    }
}

/// Reads the members of one object of the server's answer, naming the member the answer lacks.
struct ShapeReader {
    let object: BodyObject
    let shape: String

    init(_ object: BodyObject, _ shape: String) {
        self.object = object
        self.shape = shape
    }

    func failure(_ name: String) -> StoreError {
        StoreError(.corrupt, "the server's \(shape) has no valid \"\(name)\"")
    }

    /// The member `read` gets from the object; a missing or unreadable one fails naming it.
    private func required<Value>(_ name: String, _ read: (String) throws -> Value?) throws -> Value {
        guard let value = try read(name) else { throw failure(name) }
        return value
    }

    func string(_ name: String) throws -> String { try required(name) { object.string($0) } }
    func int(_ name: String) throws -> Int { try required(name) { object.int($0) } }
    func number(_ name: String) throws -> Double { try required(name) { object.double($0) } }
    func bool(_ name: String) throws -> Bool { try required(name) { object.bool($0) } }
    func id(_ name: String) throws -> TaskID { try required(name) { object.string($0).flatMap(TaskID.init) } }
    func object(_ name: String) throws -> BodyObject { try required(name) { object.object($0) } }
    func date(_ name: String) throws -> Date { try required(name, optionalDate) }

    func value<Value: RawRepresentable>(_ name: String) throws -> Value where Value.RawValue == String {
        try required(name) { object.string($0).flatMap(Value.init(rawValue:)) }
    }

    /// A date member, `nil` when absent or `null`.
    func optionalDate(_ name: String) throws -> Date? {
        guard let text = object.string(name) else { return nil }
        guard let date = RFC3339.date(text) else { throw failure(name) }
        return date.wholeMilliseconds
    }

    /// Stored JSON as the exact text sent, `nil` when absent or `null`.
    func stored(_ name: String) throws -> String? {
        if object.isNull(name) { return nil }
        return object.rawJSON(name)
    }
}

extension ShapeReader {
    /// An array member of objects.
    func objects(_ name: String) throws -> [BodyObject] {
        guard case .array(let items)? = object.members[name]?.kind else { throw failure(name) }
        return try items.map { item in
            guard case .object(let members) = item.kind else { throw failure(name) }
            return BodyObject(parsed: object.parsed, members: members)
        }
    }

    /// An array member of objects, each read by `read`.
    func list<Item>(_ name: String, _ read: (BodyObject) throws -> Item) throws -> [Item] {
        try objects(name).map(read)
    }
}
