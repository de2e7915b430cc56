public import ErrandCore
public import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    /// - Throws: ``StoreError`` `.corrupt` when the row cannot be read; it is moved to the dead letters first.
    public func task(_ id: TaskID) async throws -> TaskRecord? {
        do {
            return try await read { db in
                try Self.load(db, id)
                    ?? TaskRow.fetchAll(db, db.cachedStatement(sql: Self.selectArchivedByID)) { $0.bind(id.rawValue) }.first
            }
        } catch let error as StoreError where error.code == .corrupt {
            try await deadLetter([CorruptRow(id: id.rawValue, message: error.message)], now: Date())
            throw StoreError(.corrupt, "\(error.message); moved to the dead letters (errand task list --state deadletter)")
        }
    }

    static let selectArchivedByID = "SELECT \(TaskRow.columnList) FROM errand_task_archive WHERE id = ?"

    /// The table a query reads: the archive is read under the live table's name, so that conditions are the same.
    static func table(_ query: TaskQuery) -> String { query.archived ? "errand_task_archive AS errand_task" : "errand_task" }

    public func attempts(of id: TaskID) async throws -> [Attempt] {
        try await read { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT \(TaskRow.attemptColumns) FROM errand_attempt WHERE task_id = ? ORDER BY number
                    """
            )
            var attempts: [Attempt] = []
            try RawStatement.each(db, statement) {
                $0.bind(id.rawValue)
            } row: {
                attempts.append(try TaskRow.decodeAttempt($0))
            }
            return attempts
        }
    }

    public func list(_ query: TaskQuery) async throws -> TaskPage {
        let limit = max(1, min(query.limit, 10_000))
        var (conditions, arguments) = Self.conditions(query)
        if let cursor = query.cursor {
            // Keyset pagination: ids sort by creation time, newest first (or oldest first).
            conditions.append(query.oldestFirst ? "id > ?" : "id < ?")
            arguments.append(.text(cursor.rawValue))
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(TaskRow.columnList) FROM \(Self.table(query)) \(filter) ORDER BY id \(query.oldestFirst ? "ASC" : "DESC") LIMIT ?"
        arguments.append(.integer(Int64(limit + 1)))
        let bound = arguments
        let (page, corrupt) = try await read { db in
            var corrupt: [CorruptRow] = []
            var cursor: TaskID?
            var tasks: [TaskRecord] = []
            var more = false
            try RawStatement.each(db, try db.makeStatement(sql: sql)) { raw in
                for value in bound { raw.bind(value) }
            } row: { row in
                // Rows are counted, read or not, so a damaged row moves the cursor on instead of hiding the rest.
                guard tasks.count + corrupt.count < limit else {
                    more = true
                    return
                }
                do {
                    let task = try TaskRow.decode(row)
                    tasks.append(task)
                    cursor = task.id
                } catch let error as StoreError {
                    let id = row.text(0) ?? ""
                    corrupt.append(CorruptRow(id: id, message: error.message))
                    cursor = TaskID(id) ?? cursor
                }
            }
            return (TaskPage(tasks: tasks, nextCursor: more ? cursor : nil), corrupt)
        }
        if !corrupt.isEmpty { try await deadLetter(corrupt, now: Date()) }
        return page
    }

    public func statistics() async throws -> [QueueStatistics] {
        try await read { db in
            var byQueue: [String: [TaskState: Int]] = [:]
            for name in try String.fetchAll(db, sql: "SELECT name FROM errand_queue ORDER BY name") {
                byQueue[name] = [:]
            }
            let rows = try Row.fetchAll(db, sql: "SELECT queue, state, COUNT(*) FROM errand_task GROUP BY queue, state")
            for row in rows {
                let queue: String = row[0]
                let stateText: String = row[1]
                let state = TaskState(rawValue: stateText) ?? .dead
                byQueue[queue, default: [:]][state, default: 0] += row[2] as Int
            }
            return byQueue.keys.sorted().map { QueueStatistics(queue: $0, counts: byQueue[$0] ?? [:]) }
        }
    }

    public func finishedPerMinute(minutes: Int, now: Date) async throws -> [FinishedMinute] {
        let since = FinishedMinute.first(of: minutes, now: now) * 60_000
        let counts = try await read { db in
            // The range scan of errand_task_finished; the final-state test drops a retried task's stale time.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT finished_at / 60000, state, COUNT(*) FROM errand_task
                    WHERE finished_at >= ? AND state IN ('completed', 'failed', 'cancelled', 'dead')
                    GROUP BY 1, 2
                    """,
                arguments: [since]
            ).map { row in (minute: row[0] as Int64, state: TaskState(rawValue: row[1]) ?? .dead, count: row[2] as Int) }
        }
        return FinishedMinute.series(counts, minutes: minutes, now: now)
    }

    public func taskStatuses(now: Date) async throws -> TaskStatuses {
        let groups = try await read { db in
            // The last attempt's outcome tells lost from failed, so only failed tasks join it.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT CASE WHEN t.parent_id IS NULL THEN t.module END, t.queue, t.handler, t.state, t.started_at IS NOT NULL,
                        a.outcome, COUNT(*), t.requires
                    FROM errand_task t LEFT JOIN errand_attempt a ON t.state = 'failed' AND a.task_id = t.id AND a.number = t.attempt
                    GROUP BY 1, 2, 3, 4, 5, 6, 8
                    """
            ).map { row in
                StatusGroup(
                    module: row[0],
                    queue: row[1],
                    handler: row[2],
                    state: TaskState(rawValue: row[3]) ?? .dead,
                    started: row[4],
                    lastOutcome: (row[5] as String?).flatMap(AttemptOutcome.init),
                    count: row[6],
                    requires: Requirement.tags(ofKey: row[7])
                )
            }
        }
        return TaskStatuses.tally(groups, takers: TaskTakers(workers: try await workers(states: [.running]), now: now))
    }

    public func nextRunAt(queues: [String], handlers: [String]) async throws -> Date? {
        var sql = """
            SELECT run_at FROM errand_task INDEXED BY errand_task_due WHERE state IN ('scheduled', 'pending')
              AND queue IN (SELECT name FROM errand_queue WHERE state = 'active')
            """
        if !queues.isEmpty { sql += " AND queue IN (\(Self.placeholders(queues.count)))" }
        if !handlers.isEmpty { sql += " AND handler IN (\(Self.placeholders(handlers.count)))" }
        // Walks the due index in order and stops at the first task of an active queue (and of the handlers).
        sql += " ORDER BY run_at LIMIT 1"
        let arguments = StatementArguments(queues + handlers)
        let query = sql
        return try await read { db in
            try Int64.fetchOne(db, sql: query, arguments: arguments).map(Date.init(millisecondsSince1970:))
        }
    }

    public func nextLeaseExpiry() async throws -> Date? {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT lease_expires_at FROM errand_task INDEXED BY errand_task_lease
                    WHERE state = 'running' AND lease_expires_at IS NOT NULL ORDER BY lease_expires_at LIMIT 1
                    """
            )
            .map(Date.init(millisecondsSince1970:))
        }
    }
}

extension SQLiteTaskStore {
    public func count(_ query: TaskQuery, upTo limit: Int) async throws -> Int {
        let (conditions, arguments) = Self.conditions(query)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT count(*) FROM (SELECT 1 FROM \(Self.table(query)) \(filter) LIMIT ?)"
        let bound = arguments + [.integer(Int64(max(0, limit) + 1))]
        return try await read { db in
            var count = 0
            try RawStatement.each(db, try db.makeStatement(sql: sql)) { raw in
                for value in bound { raw.bind(value) }
            } row: { row in
                count = Int(try row.integer(0) ?? 0)
            }
            return count
        }
    }

    /// The filters of `query` (all but its cursor) as SQL conditions and their arguments: one rule for listing and
    /// counting.
    static func conditions(_ query: TaskQuery) -> (conditions: [String], arguments: [SQLValue]) {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if let queue = query.queue {
            conditions.append("queue = ?")
            arguments.append(.text(queue))
        }
        if !query.states.isEmpty {
            conditions.append("state IN (\(Self.placeholders(query.states.count)))")
            arguments += query.states.map { .text($0.rawValue) }
        }
        if let handler = query.handler {
            conditions.append("handler = ?")
            arguments.append(.text(handler))
        }
        if let parent = query.parentID {
            conditions.append("parent_id = ?")
            arguments.append(.text(parent.rawValue))
        }
        if let module = query.module {
            conditions.append("module = ?")
            arguments.append(.text(module))
        }
        if let tag = query.tag {
            conditions.append("EXISTS (SELECT 1 FROM json_each(errand_task.tags) WHERE value = ?)")
            arguments.append(.text(tag))
        }
        if let after = query.createdAfter {
            conditions.append("created_at >= ?")
            arguments.append(.integer(after.millisecondsSince1970))
        }
        if let before = query.createdBefore {
            conditions.append("created_at < ?")
            arguments.append(.integer(before.millisecondsSince1970))
        }
        if let text = query.text {
            conditions.append("instr(arguments, ?) > 0")
            arguments.append(.text(text))
        }
        if let key = query.idempotencyKey {
            conditions.append("idempotency_key = ?")
            arguments.append(.text(key))
        }
        if query.rootsOnly { conditions.append("parent_id IS NULL") }
        if !query.includeInternal { conditions.append("internal = 0") }
        if !query.includeFolded, query.parentID == nil { conditions.append("folded = 0") }
        return (conditions, arguments)
    }
}
