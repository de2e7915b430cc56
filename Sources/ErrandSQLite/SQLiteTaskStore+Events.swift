import ErrandCore
public import ErrandStore
import Foundation
import GRDB

/// The log of state changes: rows of schema version 9, one per write transaction, written by ``ChangeLog``. A cursor
/// is a change's sequence number.
extension SQLiteTaskStore {
    public func stateChanges(after cursor: String?, limit: Int) async throws -> [StateChange] {
        let after = try Self.parseCursor(cursor)
        let limit = max(1, limit)
        return try await read { db in
            // From the row holding change `after + 1`, whose first changes may have been read already.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, at, changes FROM errand_state_change
                    WHERE id >= coalesce((SELECT max(id) FROM errand_state_change WHERE id <= ?), 0) ORDER BY id
                    """,
                arguments: [after]
            )
            var found: [StateChange] = []
            while found.count < limit, let row = try rows.next() {
                let first: Int64 = row[0]
                let at = Date(millisecondsSince1970: row[1])
                // A row the store wrote is always readable; one edited by hand into nonsense is skipped.
                guard let changes = LoggedChange.decode(row[2]) else { continue }
                for (offset, change) in changes.enumerated() where first + Int64(offset) > after && found.count < limit {
                    guard let id = TaskID(change.taskID), let to = TaskState(rawValue: change.to) else { continue }
                    found.append(
                        StateChange(
                            cursor: String(first + Int64(offset)),
                            taskID: id,
                            queue: change.queue,
                            handler: change.handler,
                            from: change.from.flatMap(TaskState.init(rawValue:)),
                            to: to,
                            attempt: change.attempt,
                            at: at,
                            priority: change.priority,
                            retriesLeft: change.retriesLeft,
                            worker: change.worker,
                            outcome: change.outcome
                        )
                    )
                }
            }
            return found
        }
    }

    public func stateChangeHead() async throws -> String {
        try await read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT id + count - 1 FROM errand_state_change ORDER BY id DESC LIMIT 1")
            return String(last ?? 0)
        }
    }

    public func pruneStateChanges(keeping: Int) async throws -> Int {
        try await write { db in
            // Whole rows go: walk back from the newest until `keeping` changes are kept. The newest row always stays,
            // so that sequence numbers keep growing.
            let rows = try Row.fetchCursor(db, sql: "SELECT id, count FROM errand_state_change ORDER BY id DESC")
            var kept = 0
            var oldestKept: Int64?
            while kept < max(1, keeping), let row = try rows.next() {
                kept += row[1] as Int
                oldestKept = row[0]
            }
            guard let oldestKept else { return 0 }
            let deleted =
                try Int.fetchOne(db, sql: "SELECT coalesce(sum(count), 0) FROM errand_state_change WHERE id < ?", arguments: [oldestKept]) ?? 0
            try db.execute(sql: "DELETE FROM errand_state_change WHERE id < ?", arguments: [oldestKept])
            return deleted
        }
    }

    /// A change's sequence number; `nil` is the start of the log. PostgreSQL's `XID:ID:N` shape reads as the start:
    /// a cursor never makes a reader skip a change.
    static func parseCursor(_ cursor: String?) throws -> Int64 {
        guard let cursor else { return 0 }
        let parts = cursor.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ UInt64($0) != nil }) else {
            throw StoreError(.invalid, "\"\(cursor.prefix(40))\" is not an event id (a whole number, or PostgreSQL's XID:ID:N)")
        }
        return parts.count == 1 ? Int64(clamping: UInt64(parts[0]) ?? 0) : 0
    }
}
