import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// The log of state changes, written by the triggers of schema version 6.
extension SQLiteTaskStore {
    public func stateChanges(after cursor: String?, limit: Int) async throws -> [StateChange] {
        let after: Int64
        if let cursor {
            // PostgreSQL's XID:ID shape is read as its ID: a cursor never makes a reader skip a change.
            guard let value = cursor.split(separator: ":", omittingEmptySubsequences: false).last.flatMap({ Int64($0) }), value >= 0,
                cursor.split(separator: ":", omittingEmptySubsequences: false).count <= 2
            else {
                throw StoreError(.invalid, "\"\(cursor.prefix(40))\" is not an event id (ID or XID:ID, whole numbers)")
            }
            after = value
        } else {
            after = 0
        }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, task_id, queue, handler, from_state, to_state, attempt, at FROM errand_event
                    WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [after, max(1, limit)]
            ).compactMap { row -> StateChange? in
                // A row the triggers wrote is always readable; one edited by hand into nonsense is skipped.
                guard let id = TaskID(row[1] as String), let to = TaskState(rawValue: row[5]) else { return nil }
                let from: String? = row[4]
                return StateChange(
                    cursor: String(row[0] as Int64),
                    taskID: id,
                    queue: row[2],
                    handler: row[3],
                    from: from.flatMap(TaskState.init(rawValue:)),
                    to: to,
                    attempt: row[6],
                    at: Date(millisecondsSince1970: row[7])
                )
            }
        }
    }

    public func stateChangeHead() async throws -> String {
        try await read { db in String(try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM errand_event") ?? 0) }
    }

    public func pruneStateChanges(keeping: Int) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM errand_event WHERE id <= (SELECT id FROM errand_event ORDER BY id DESC LIMIT 1 OFFSET ?)",
                arguments: [max(1, keeping)]  // the newest stays, so that ids keep growing (rowids, no AUTOINCREMENT)
            )
            return db.changesCount
        }
    }
}
