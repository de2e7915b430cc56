public import ErrandCore
public import ErrandStore
public import Foundation
import GRDB

/// Dead letters: task rows that could not be read, moved aside with their raw columns.
extension SQLiteTaskStore {
    /// Moves the row `id` (the text of its id column) into the dead letters with `error`; its attempts stay.
    static func moveToDeadLetters(_ db: Database, id: String, error: String, now: Date) throws {
        let body = "json_object(" + TaskRow.columns.map { "'\($0)', \($0)" }.joined(separator: ", ") + ")"
        try db.execute(
            sql: """
                INSERT INTO errand_dead_letter (id, queue, body, error, created_at)
                SELECT ?, queue, \(body), ?, ? FROM errand_task WHERE id = ?
                """,
            arguments: [UUID().uuidString.lowercased(), error, now.millisecondsSince1970, id]
        )
        try db.execute(sql: "DELETE FROM errand_task WHERE id = ?", arguments: [id])
    }

    /// Moves the rows `corrupt`, found by a read, into the dead letters: each that still cannot be read when the
    /// write transaction looks again (a row repaired meanwhile stays).
    func deadLetter(_ corrupt: [CorruptRow], now: Date) async throws {
        try await write { db in
            for row in corrupt {
                var stillCorrupt = false
                try RawStatement.each(db, try db.cachedStatement(sql: TaskRow.selectByID)) {
                    $0.bind(row.id)
                } row: { columns in
                    stillCorrupt = (try? TaskRow.decode(columns)) == nil
                }
                if stillCorrupt { try Self.moveToDeadLetters(db, id: row.id, error: row.message, now: now) }
            }
        }
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, queue, body, error, created_at FROM errand_dead_letter ORDER BY created_at DESC, id LIMIT ?",
                arguments: [max(1, limit)]
            ).map { row in
                DeadLetter(id: row[0], queue: row[1], body: row[2], error: row[3], createdAt: Date(millisecondsSince1970: row[4]))
            }
        }
    }

    public func redrive(_ id: String, body: String?, now: Date) async throws -> TaskRecord {
        let task = try await writeTasks { db, log in
            guard let stored = try String.fetchOne(db, sql: "SELECT body FROM errand_dead_letter WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "no dead letter with id \(id)")
            }
            let columns = try DeadLetter.columns(of: body ?? stored, allowed: TaskRow.columns)
            guard let taskID = columns["id"] as? String else { throw StoreError(.invalid, "the body names no id") }
            if try String.fetchOne(db, sql: "SELECT id FROM errand_task WHERE id = ?", arguments: [taskID]) != nil {
                throw StoreError(.alreadyExists, "a task with id \(taskID) exists")
            }
            let names = columns.keys.sorted()
            let values: [(any DatabaseValueConvertible)?] = names.map { name in
                switch columns[name] {
                case let text as String: text
                case let number as NSNumber: number.doubleValue.rounded() == number.doubleValue ? number.int64Value : number.doubleValue
                default: nil
                }
            }
            try db.execute(
                sql: "INSERT INTO errand_task (\(names.joined(separator: ", "))) VALUES (\(Self.placeholders(names.count)))",
                arguments: StatementArguments(values)
            )
            var restored: TaskRecord?
            do {
                try RawStatement.each(db, try db.cachedStatement(sql: "SELECT \(TaskRow.columnList) FROM errand_task WHERE id = ?")) {
                    $0.bind(taskID)
                } row: { row in
                    restored = try TaskRow.decode(row)
                }
            } catch let error as StoreError {
                throw StoreError(.invalid, "dead letter \(id) still cannot be read: \(error.message)")
            }
            guard let restored else { throw StoreError(.invalid, "dead letter \(id) did not come back") }
            log.record(restored, replacing: nil)
            try db.execute(sql: "DELETE FROM errand_dead_letter WHERE id = ?", arguments: [id])
            return restored
        }
        changeSignal.notify()
        return task
    }
}
