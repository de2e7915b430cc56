import ErrandCore
import ErrandStore
import Foundation
import PostgresNIO

/// The log of state changes, written by the triggers of migration 6. A cursor is `xid:id`: the writing transaction
/// and the row. Only changes of transactions older than every open one are read (`pg_snapshot_xmin`), so a
/// transaction that commits after a later one has been read is still read in turn.
extension PostgresTaskStore {
    public func stateChanges(after cursor: String?, limit: Int) async throws -> [StateChange] {
        let (xid, id) = try Self.parseCursor(cursor)
        return try await rows(
            """
            SELECT xid::text, id, task_id, queue, handler, from_state, to_state, attempt, at FROM \(unescaped: s).event
            WHERE (xid, id) > (\(xid)::xid8, \(id)) AND xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY xid, id LIMIT \(max(1, limit))
            """
        ).compactMap { row -> StateChange? in
            let (xid, id, taskID, queue, handler, from, to, attempt, at) = try row.decode(
                (String, Int64, UUID, String, String, String?, String, Int, Date).self
            )
            guard let state = TaskState(rawValue: to) else { return nil }
            return StateChange(
                cursor: "\(xid):\(id)",
                taskID: TaskID(taskID),
                queue: queue,
                handler: handler,
                from: from.flatMap(TaskState.init(rawValue:)),
                to: state,
                attempt: attempt,
                at: at.wholeMilliseconds
            )
        }
    }

    public func stateChangeHead() async throws -> String {
        // Every change of a transaction older than the oldest open one has been read by then; the rest come after.
        let xmin = try await rows("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").first?.decode(String.self) ?? "0"
        return "\(xmin):0"
    }

    public func pruneStateChanges(keeping: Int) async throws -> Int {
        try await rows(
            """
            WITH gone AS (
                DELETE FROM \(unescaped: s).event
                WHERE id <= (SELECT id FROM \(unescaped: s).event ORDER BY id DESC LIMIT 1 OFFSET \(max(0, keeping)))
                RETURNING 1
            ) SELECT count(*) FROM gone
            """
        ).first?.decode(Int.self) ?? 0
    }

    /// `xid:id` as numbers; `nil` is the start of the log. SQLite's plain `ID` reads as `0:ID`, from the start of
    /// the log: a cursor never makes a reader skip a change.
    static func parseCursor(_ cursor: String?) throws -> (String, Int64) {
        guard let cursor else { return ("0", 0) }
        let parts = cursor.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1, let id = Int64(parts[0]), id >= 0 { return ("0", id) }
        guard parts.count == 2, let xid = UInt64(parts[0]), let id = Int64(parts[1]), id >= 0 else {
            throw StoreError(.invalid, "\"\(cursor.prefix(40))\" is not an event id (XID:ID or ID, whole numbers)")
        }
        return (String(xid), id)
    }
}
