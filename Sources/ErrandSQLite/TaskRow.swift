import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// A task row that could not be read: the text of its id column, and why.
struct CorruptRow: Sendable {
    var id: String
    var message: String
}

/// Reads and writes ``TaskRecord`` and ``Attempt`` rows by column position, through ``RawStatement``.
enum TaskRow {
    /// The task columns, in the order `decode` reads them and `bindAll` writes them.
    static let columns = TaskColumns.task

    static let columnList = columns.joined(separator: ", ")

    /// Inserts one task; the caller has checked idempotency.
    static let insert = "INSERT INTO errand_task (\(columnList)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"

    /// How many leading `columns` a task with only default tree fields, no meta, no fixed lease and no requirements writes (the rest take their
    /// defaults).
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
        statement.bind(JSONText.array(task.tags))
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
        statement.bind(task.meta)
        statement.bind(task.fixedLease)
        statement.bind(Requirement.key(task.requires))
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

    /// Decodes a row selected with `columnList`, checking every column: its storage class, UTF-8 text, known states,
    /// and that `arguments` (what a handler gets) is JSON.
    /// - Throws: ``StoreError`` `.corrupt` naming the task and the column that cannot be read.
    static func decode(_ row: Columns) throws -> TaskRecord {
        let idText = row.text(0) ?? ""
        do {
            return try decodeChecked(row, idText: idText)
        } catch let problem as ColumnProblem {
            throw StoreError(
                .corrupt,
                "task \(idText.prefix(80)) is corrupt: column \(columns[Int(problem.column)]) \(problem.reason): \(problem.value)"
            )
        }
    }

    private static func decodeChecked(_ row: Columns, idText: String) throws -> TaskRecord {
        guard let id = TaskID(idText) else { throw corrupt(idText, "id", idText) }
        func required<T>(_ value: T?, _ column: Int32) throws -> T {
            guard let value else { throw corrupt(idText, columns[Int(column)], "NULL") }
            return value
        }
        func text(_ column: Int32) throws -> String { try required(try row.string(column), column) }
        func int(_ column: Int32) throws -> Int { Int(try required(try row.integer(column), column)) }
        func double(_ column: Int32) throws -> Double { try required(try row.real(column), column) }
        func flag(_ column: Int32) throws -> Bool { try int(column) != 0 }
        func date(_ column: Int32) throws -> Date? { try row.integer(column).map(Date.init(millisecondsSince1970:)) }
        func json(_ column: Int32) throws -> String? {
            guard let value = try row.string(column) else { return nil }
            guard JSONSyntax.isValid(value, allowingTrailingCommas: true) else {
                throw corrupt(idText, columns[Int(column)], "text that is not JSON: \(value)")
            }
            return value
        }
        func taskID(_ column: Int32) throws -> TaskID? {
            guard let value = try row.string(column) else { return nil }
            guard let parsed = TaskID(value) else { throw corrupt(idText, columns[Int(column)], value) }
            return parsed
        }
        let stateText = try text(6)
        guard let state = TaskState(rawValue: stateText) else { throw corrupt(idText, "state", stateText) }
        let tagsText = try text(21)
        guard let tags = JSONText.strings(tagsText) else { throw corrupt(idText, "tags", tagsText) }
        let localityText = try text(40)
        guard let locality = TaskLocality(rawValue: localityText) else { throw corrupt(idText, "locality", localityText) }
        var record = TaskRecord(
            id: id,
            queue: try text(1),
            handler: try text(2),
            arguments: try required(try json(3), 3),
            priority: try int(4),
            runAt: try required(try date(5), 5),
            state: state,
            attempt: try int(7),
            chargedAttempts: try int(8),
            retry: RetryPolicy(
                maxAttempts: try int(9),
                delay: try double(10),
                delayFactor: try double(11),
                maxDelay: try double(12),
                jitter: try double(13),
                priorityDecrement: try int(14)
            ),
            timeToResolve: try double(15),
            idempotencyKey: try row.string(16),
            parentID: try taskID(17),
            rootID: try taskID(18),
            module: try row.string(19),
            isInternal: try flag(20),
            tags: tags,
            createdAt: try required(try date(22), 22),
            startedAt: try date(23),
            finishedAt: try date(24),
            result: try row.string(25),
            message: try row.string(26),
            lastError: try row.string(27),
            worker: try row.string(28),
            leaseExpiresAt: try date(29),
            name: try row.string(30),
            timeout: try row.real(31),
            progressCompleted: try row.real(32),
            progressTotal: try row.real(33),
            tree: TaskTreeFields.Values(
                progressUnits: try row.string(34),
                type: try row.string(35),
                scope: try row.string(36),
                entity: try row.string(37),
                keyspace: try row.string(38),
                table: try row.string(39),
                locality: locality,
                isAbortable: try flag(41),
                sequenceNumber: try row.integer(42).map(Int.init),
                isUserTask: try flag(43),
                targetWorker: try row.string(44),
                hasChildren: try flag(45),
                isFolded: try flag(46)
            )
        )
        record.meta = try json(47)
        record.fixedLease = try flag(48)
        record.requires = Requirement.tags(ofKey: try row.string(49))
        return record
    }

    /// Runs a query selecting `columnList` and decodes every row.
    /// - Throws: ``StoreError`` `.corrupt` at the first row that cannot be read.
    static func fetchAll(_ db: Database, _ statement: Statement, bind: (inout RawStatement) -> Void) throws -> [TaskRecord] {
        var tasks: [TaskRecord] = []
        try RawStatement.each(db, statement, bind: bind) { row in tasks.append(try decode(row)) }
        return tasks
    }

    /// Runs a query selecting `columnList` and decodes the rows that can be read; the others go to `corrupt`, for
    /// the dead letters, so that one damaged row does not break a listing.
    static func fetchAll(
        _ db: Database,
        _ statement: Statement,
        skipping corrupt: inout [CorruptRow],
        bind: (inout RawStatement) -> Void
    ) throws -> [TaskRecord] {
        var tasks: [TaskRecord] = []
        try RawStatement.each(db, statement, bind: bind) { row in
            do {
                tasks.append(try decode(row))
            } catch let error as StoreError {
                corrupt.append(CorruptRow(id: row.text(0) ?? "", message: error.message))
            }
        }
        return tasks
    }

    private static func corrupt(_ id: String, _ column: String, _ value: String) -> StoreError {
        StoreError(.corrupt, "task \(id) is corrupt: column \(column) holds \(value.prefix(80))")
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
    static let attemptColumns = TaskColumns.attempt

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
