import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// Reads and writes ``TaskRecord`` and ``Attempt`` rows by column position, through ``RawStatement``.
enum TaskRow {
    /// The task columns, in the order `decode` reads them and `bindAll` writes them.
    static let columns = [
        "id", "queue", "handler", "arguments", "priority", "run_at", "state", "attempt", "charged_attempts",
        "max_attempts", "retry_delay", "retry_delay_factor", "retry_max_delay", "retry_jitter", "retry_priority_decrement",
        "time_to_resolve", "idempotency_key", "parent_id", "root_id", "module", "internal", "tags", "created_at",
        "started_at", "finished_at", "result", "message", "last_error", "worker", "lease_expires_at", "name",
        "timeout", "progress_completed", "progress_total", "progress_units", "type", "scope", "entity", "keyspace",
        "table_name", "locality", "abortable", "sequence_number", "user_task", "target_worker", "has_children", "folded",
    ]

    static let columnList = columns.joined(separator: ", ")

    /// Inserts one task; the caller has checked idempotency.
    static let insert = "INSERT INTO errand_task (\(columnList)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"

    /// How many leading `columns` a task with only default tree fields writes (the rest take their defaults).
    static let plainColumnCount = columns.firstIndex(of: "progress_units") ?? columns.count

    /// Inserts a task with only default tree fields: binding the 13 tree columns cost plain enqueues a few percent.
    static let insertPlain =
        "INSERT INTO errand_task (\(columns.prefix(plainColumnCount).joined(separator: ", "))) VALUES (\(columns.prefix(plainColumnCount).map { _ in "?" }.joined(separator: ", ")))"

    /// The columns a ``TaskTransition`` may change after enqueue. Writing only these keeps the indexes on columns
    /// that never change (queue, idempotency key, parent) out of every update.
    static let transitionColumns = [
        "priority", "run_at", "state", "attempt", "charged_attempts", "max_attempts", "started_at", "finished_at", "result",
        "message", "last_error", "worker", "lease_expires_at",
    ]

    /// Writes a transition's result over one task.
    static let update = "UPDATE errand_task SET " + transitionColumns.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ?"

    static let selectByID = "SELECT \(columnList) FROM errand_task WHERE id = ?"

    /// Binds every column, in `columns` order, for `insert`; only the first `plainColumnCount` with `plain`
    /// (`insertPlain`).
    static func bindAll(_ task: TaskRecord, plain: Bool = false, to statement: inout RawStatement) {
        statement.bind(task.id.rawValue)
        statement.bind(task.queue)
        statement.bind(task.handler)
        statement.bind(task.arguments)
        statement.bind(task.priority)
        statement.bind(task.runAt.millisecondsSince1970)
        statement.bind(task.state.rawValue)
        statement.bind(task.attempt)
        statement.bind(task.chargedAttempts)
        statement.bind(task.retry.maxAttempts)
        statement.bind(task.retry.delay)
        statement.bind(task.retry.delayFactor)
        statement.bind(task.retry.maxDelay)
        statement.bind(task.retry.jitter)
        statement.bind(task.retry.priorityDecrement)
        statement.bind(task.timeToResolve)
        statement.bind(task.idempotencyKey)
        statement.bind(task.parentID?.rawValue)
        statement.bind(task.rootID?.rawValue)
        statement.bind(task.module)
        statement.bind(task.isInternal)
        statement.bind(encodeTags(task.tags))
        statement.bind(task.createdAt.millisecondsSince1970)
        statement.bind(task.startedAt?.millisecondsSince1970)
        statement.bind(task.finishedAt?.millisecondsSince1970)
        statement.bind(task.result)
        statement.bind(task.message)
        statement.bind(task.lastError)
        statement.bind(task.worker)
        statement.bind(task.leaseExpiresAt?.millisecondsSince1970)
        statement.bind(task.name)
        statement.bind(task.timeout)
        statement.bind(task.progressCompleted)
        statement.bind(task.progressTotal)
        if plain { return }
        statement.bind(task.progressUnits)
        statement.bind(task.type)
        statement.bind(task.scope)
        statement.bind(task.entity)
        statement.bind(task.keyspace)
        statement.bind(task.table)
        statement.bind(task.locality.rawValue)
        statement.bind(task.isAbortable)
        statement.bind(task.sequenceNumber.map(Int64.init))
        statement.bind(task.isUserTask)
        statement.bind(task.targetWorker)
        statement.bind(task.hasChildren)
        statement.bind(task.isFolded)
    }

    /// Binds `transitionColumns`, then the id, for `update`.
    static func bindTransition(_ task: TaskRecord, to statement: inout RawStatement) {
        statement.bind(task.priority)
        statement.bind(task.runAt.millisecondsSince1970)
        statement.bind(task.state.rawValue)
        statement.bind(task.attempt)
        statement.bind(task.chargedAttempts)
        statement.bind(task.retry.maxAttempts)
        statement.bind(task.startedAt?.millisecondsSince1970)
        statement.bind(task.finishedAt?.millisecondsSince1970)
        statement.bind(task.result)
        statement.bind(task.message)
        statement.bind(task.lastError)
        statement.bind(task.worker)
        statement.bind(task.leaseExpiresAt?.millisecondsSince1970)
        statement.bind(task.id.rawValue)
    }

    /// Decodes a row selected with `columnList`.
    /// - Throws: ``StoreError`` `.corrupt` naming the task and the column that cannot be read.
    static func decode(_ row: Columns) throws -> TaskRecord {
        let idText = row.text(0) ?? ""
        guard let id = TaskID(idText) else { throw corrupt(idText, "id", idText) }
        func text(_ column: Int32) throws -> String {
            guard let value = row.text(column) else { throw corrupt(idText, columns[Int(column)], "NULL") }
            return value
        }
        func date(_ column: Int32) -> Date? { row.optionalInt64(column).map(Date.init(millisecondsSince1970:)) }
        let stateText = try text(6)
        guard let state = TaskState(rawValue: stateText) else { throw corrupt(idText, "state", stateText) }
        let tagsText = try text(21)
        guard let tags = decodeTags(tagsText) else { throw corrupt(idText, "tags", tagsText) }
        var parentID: TaskID?
        if let parent = row.text(17) {
            guard let parsed = TaskID(parent) else { throw corrupt(idText, "parent_id", parent) }
            parentID = parsed
        }
        var rootID: TaskID?
        if let root = row.text(18) {
            guard let parsed = TaskID(root) else { throw corrupt(idText, "root_id", root) }
            rootID = parsed
        }
        let localityText = try text(40)
        guard let locality = TaskLocality(rawValue: localityText) else { throw corrupt(idText, "locality", localityText) }
        return TaskRecord(
            id: id,
            queue: try text(1),
            handler: try text(2),
            arguments: try text(3),
            priority: row.int(4),
            runAt: Date(millisecondsSince1970: row.int64(5)),
            state: state,
            attempt: row.int(7),
            chargedAttempts: row.int(8),
            retry: RetryPolicy(
                maxAttempts: row.int(9),
                delay: row.double(10),
                delayFactor: row.double(11),
                maxDelay: row.double(12),
                jitter: row.double(13),
                priorityDecrement: row.int(14)
            ),
            timeToResolve: row.double(15),
            idempotencyKey: row.text(16),
            parentID: parentID,
            rootID: rootID,
            module: row.text(19),
            isInternal: row.int64(20) != 0,
            tags: tags,
            createdAt: Date(millisecondsSince1970: row.int64(22)),
            startedAt: date(23),
            finishedAt: date(24),
            result: row.text(25),
            message: row.text(26),
            lastError: row.text(27),
            worker: row.text(28),
            leaseExpiresAt: date(29),
            name: row.text(30),
            timeout: row.optionalDouble(31),
            progressCompleted: row.optionalDouble(32),
            progressTotal: row.optionalDouble(33),
            progressUnits: row.text(34),
            type: row.text(35),
            scope: row.text(36),
            entity: row.text(37),
            keyspace: row.text(38),
            table: row.text(39),
            locality: locality,
            isAbortable: row.int64(41) != 0,
            sequenceNumber: row.optionalInt64(42).map(Int.init),
            isUserTask: row.int64(43) != 0,
            targetWorker: row.text(44),
            hasChildren: row.int64(45) != 0,
            isFolded: row.int64(46) != 0
        )
    }

    /// Runs a query selecting `columnList` and decodes every row.
    static func fetchAll(_ db: Database, _ statement: Statement, bind: (inout RawStatement) -> Void) throws -> [TaskRecord] {
        var tasks: [TaskRecord] = []
        try RawStatement.each(db, statement, bind: bind) { row in tasks.append(try decode(row)) }
        return tasks
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
        INSERT INTO errand_attempt (task_id, number, handler, worker, started_at, finished_at, outcome, message, result,
            salvaged_by, salvaged_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func bindAttempt(_ attempt: Attempt, to statement: inout RawStatement) {
        statement.bind(attempt.taskID.rawValue)
        statement.bind(attempt.number)
        statement.bind(attempt.handler)
        statement.bind(attempt.worker)
        statement.bind(attempt.startedAt.millisecondsSince1970)
        statement.bind(attempt.finishedAt.millisecondsSince1970)
        statement.bind(attempt.outcome.rawValue)
        statement.bind(attempt.message)
        statement.bind(attempt.result)
        statement.bind(attempt.salvagedBy)
        statement.bind(attempt.salvagedAt?.millisecondsSince1970)
    }

    /// The attempt columns in the order `decodeAttempt` reads them.
    static let attemptColumns = "task_id, number, handler, worker, started_at, finished_at, outcome, message, result, salvaged_by, salvaged_at"

    static func decodeAttempt(_ row: Columns) throws -> Attempt {
        let idText = row.text(0) ?? ""
        guard let id = TaskID(idText) else { throw corrupt(idText, "attempt.task_id", idText) }
        let outcomeText = row.text(6) ?? ""
        guard let outcome = AttemptOutcome(rawValue: outcomeText) else { throw corrupt(idText, "attempt.outcome", outcomeText) }
        return Attempt(
            taskID: id,
            number: row.int(1),
            handler: row.text(2) ?? "",
            worker: row.text(3) ?? "",
            startedAt: Date(millisecondsSince1970: row.int64(4)),
            finishedAt: Date(millisecondsSince1970: row.int64(5)),
            outcome: outcome,
            message: row.text(7),
            result: row.text(8),
            salvagedBy: row.text(9),
            salvagedAt: row.optionalInt64(10).map(Date.init(millisecondsSince1970:))
        )
    }
}
