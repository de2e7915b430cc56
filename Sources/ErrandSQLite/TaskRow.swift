import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// Reads and writes ``TaskRecord`` and ``Attempt`` as rows, by column position (the hot paths decode many rows).
enum TaskRow {
    /// The task columns, in the order `decode` reads them and `values` writes them.
    static let columns = [
        "id", "queue", "handler", "arguments", "priority", "run_at", "state", "attempt", "charged_attempts",
        "max_attempts", "retry_delay", "retry_delay_factor", "retry_max_delay", "retry_jitter", "retry_priority_decrement",
        "time_to_resolve", "idempotency_key", "parent_id", "root_id", "module", "internal", "tags", "created_at",
        "started_at", "finished_at", "result", "message", "last_error", "worker", "lease_expires_at",
    ]

    static let columnList = columns.joined(separator: ", ")

    /// Inserts one task; the caller has checked idempotency.
    static let insert = "INSERT INTO errand_task (\(columnList)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"

    /// Overwrites every mutable column of one task with the record the transition produced.
    static let update =
        "UPDATE errand_task SET "
        + columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ")
        + " WHERE id = ?"

    static let selectByID = "SELECT \(columnList) FROM errand_task WHERE id = ?"

    /// The row's values for `insert`.
    static func values(_ task: TaskRecord) -> StatementArguments { StatementArguments(columnValues(task)) }

    /// The row's values for `update`: every column but the id, then the id.
    static func updateValues(_ task: TaskRecord) -> StatementArguments {
        StatementArguments(Array(columnValues(task).dropFirst()) + [task.id.rawValue])
    }

    private static func columnValues(_ task: TaskRecord) -> [(any DatabaseValueConvertible)?] {
        [
            task.id.rawValue, task.queue, task.handler, task.arguments, task.priority, task.runAt.millisecondsSince1970,
            task.state.rawValue, task.attempt, task.chargedAttempts, task.retry.maxAttempts, task.retry.delay,
            task.retry.delayFactor, task.retry.maxDelay, task.retry.jitter, task.retry.priorityDecrement,
            task.timeToResolve, task.idempotencyKey, task.parentID?.rawValue, task.rootID?.rawValue, task.module,
            task.isInternal, encodeTags(task.tags), task.createdAt.millisecondsSince1970,
            task.startedAt?.millisecondsSince1970, task.finishedAt?.millisecondsSince1970, task.result, task.message,
            task.lastError, task.worker, task.leaseExpiresAt?.millisecondsSince1970,
        ]
    }

    /// Decodes a row selected with `columnList`.
    /// - Throws: ``StoreError`` `.corrupt` naming the column that cannot be read.
    static func decode(_ row: Row) throws -> TaskRecord {
        let idText: String = try column(row, 0)
        guard let id = TaskID(idText) else { throw corrupt(idText, "id", idText) }
        func date(_ index: Int) throws -> Date { Date(millisecondsSince1970: try column(row, index, id: idText)) }
        func optionalDate(_ index: Int) -> Date? { (row[index] as Int64?).map(Date.init(millisecondsSince1970:)) }
        let stateText: String = try column(row, 6, id: idText)
        guard let state = TaskState(rawValue: stateText) else { throw corrupt(idText, "state", stateText) }
        let tagsText: String = try column(row, 21, id: idText)
        guard let tags = decodeTags(tagsText) else { throw corrupt(idText, "tags", tagsText) }
        return TaskRecord(
            id: id,
            queue: try column(row, 1, id: idText),
            handler: try column(row, 2, id: idText),
            arguments: try column(row, 3, id: idText),
            priority: try column(row, 4, id: idText),
            runAt: try date(5),
            state: state,
            attempt: try column(row, 7, id: idText),
            chargedAttempts: try column(row, 8, id: idText),
            retry: RetryPolicy(
                maxAttempts: try column(row, 9, id: idText),
                delay: try column(row, 10, id: idText),
                delayFactor: try column(row, 11, id: idText),
                maxDelay: try column(row, 12, id: idText),
                jitter: try column(row, 13, id: idText),
                priorityDecrement: try column(row, 14, id: idText)
            ),
            timeToResolve: try column(row, 15, id: idText),
            idempotencyKey: row[16],
            parentID: (row[17] as String?).flatMap(TaskID.init),
            rootID: (row[18] as String?).flatMap(TaskID.init),
            module: row[19],
            isInternal: try column(row, 20, id: idText),
            tags: tags,
            createdAt: try date(22),
            startedAt: optionalDate(23),
            finishedAt: optionalDate(24),
            result: row[25],
            message: row[26],
            lastError: row[27],
            worker: row[28],
            leaseExpiresAt: optionalDate(29)
        )
    }

    private static func column<Value: DatabaseValueConvertible>(_ row: Row, _ index: Int, id: String = "?") throws -> Value {
        guard let value = Value.fromDatabaseValue(row[index] as DatabaseValue) else {
            throw corrupt(id, columns[index], "\(row[index] as DatabaseValue)")
        }
        return value
    }

    private static func corrupt(_ id: String, _ column: String, _ value: String) -> StoreError {
        StoreError(.corrupt, "task \(id) is corrupt: column \(column) holds \(value.prefix(80))")
    }

    static func encodeTags(_ tags: [String]) -> String {
        guard !tags.isEmpty, let data = try? JSONSerialization.data(withJSONObject: tags) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeTags(_ text: String) -> [String]? {
        if text == "[]" { return [] }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String]
    }

    // MARK: attempts

    static let insertAttempt = """
        INSERT INTO errand_attempt (task_id, number, handler, worker, started_at, finished_at, outcome, message, result)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func attemptValues(_ attempt: Attempt) -> StatementArguments {
        [
            attempt.taskID.rawValue, attempt.number, attempt.handler, attempt.worker,
            attempt.startedAt.millisecondsSince1970, attempt.finishedAt.millisecondsSince1970, attempt.outcome.rawValue,
            attempt.message, attempt.result,
        ]
    }

    static func decodeAttempt(_ row: Row) throws -> Attempt {
        let idText: String = row[0]
        guard let id = TaskID(idText) else { throw corrupt(idText, "attempt.task_id", idText) }
        let outcomeText: String = row[6]
        guard let outcome = AttemptOutcome(rawValue: outcomeText) else {
            throw corrupt(idText, "attempt.outcome", outcomeText)
        }
        return Attempt(
            taskID: id,
            number: row[1],
            handler: row[2],
            worker: row[3],
            startedAt: Date(millisecondsSince1970: row[4]),
            finishedAt: Date(millisecondsSince1970: row[5]),
            outcome: outcome,
            message: row[7],
            result: row[8]
        )
    }
}
