import ErrandCore
public import ErrandStore
import Foundation
import PostgresNIO

/// The log of state changes: rows of migration 9, one per statement that changed task states, written by
/// triggers. A cursor is `xid:id:n`: the writing transaction, the row and the change's place in it. Only changes of
/// transactions older than every open one are read (`pg_snapshot_xmin`), so a transaction that commits after a later
/// one has been read is still read in turn.
extension PostgresTaskStore {
    public func stateChanges(after cursor: String?, limit: Int) async throws -> [StateChange] {
        let (xid, id, place) = try Self.parseCursor(cursor)
        return try await rows(
            """
            SELECT c.xid::text, c.id, u.n, u.task_id, u.queue, u.handler, u.from_state, u.to_state, u.attempt, c.at,
                u.priority, u.retries_left, u.worker, u.outcome IS NOT NULL, u.outcome ->> 'result', u.outcome ->> 'message',
                u.outcome ->> 'error', coalesce((u.outcome ->> 'truncated')::boolean, false)
            FROM \(unescaped: s).state_change c,
                unnest(c.task_ids, c.queues, c.handlers, c.from_states, c.to_states, c.attempts, c.priorities, c.retries_left,
                    c.workers, c.outcomes)
                    WITH ORDINALITY AS u(task_id, queue, handler, from_state, to_state, attempt, priority, retries_left, worker, outcome, n)
            WHERE (c.xid, c.id) >= (\(xid)::xid8, \(id)) AND (c.xid, c.id, u.n) > (\(xid)::xid8, \(id), \(place))
              AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY c.xid, c.id, u.n LIMIT \(max(1, limit))
            """
        ).compactMap { row -> StateChange? in
            let (xid, id, place, taskID, queue, handler, from, to, attempt, at) = try row.decode(
                (String, Int64, Int64, UUID, String, String, String?, String, Int, Date).self
            )
            let columns = row.makeRandomAccess()
            // Rows of migration 9 have no priorities, retries or outcomes: they read as 0 and none.
            let priority = try columns[10].decode(Int?.self) ?? 0
            let retriesLeft = try columns[11].decode(Int?.self) ?? 0
            let worker = try columns[12].decode(String?.self)
            let outcome =
                try columns[13].decode(Bool.self)
                ? StateChange.Outcome(
                    result: try columns[14].decode(String?.self),
                    message: try columns[15].decode(String?.self),
                    error: try columns[16].decode(String?.self),
                    truncated: try columns[17].decode(Bool.self)
                ) : nil
            guard let state = TaskState(rawValue: to) else { return nil }
            return StateChange(
                cursor: "\(xid):\(id):\(place)",
                taskID: TaskID(taskID),
                queue: queue,
                handler: handler,
                from: from.flatMap(TaskState.init(rawValue:)),
                to: state,
                attempt: attempt,
                at: at.wholeMilliseconds,
                priority: priority,
                retriesLeft: retriesLeft,
                worker: worker,
                outcome: outcome
            )
        }
    }

    public func stateChangeHead() async throws -> String {
        // Every change of a transaction older than the oldest open one has been read by then; the rest come after.
        let xmin = try await rows("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").first?.decode(String.self) ?? "0"
        return "\(xmin):0"
    }

    public func pruneStateChanges(keeping: Int) async throws -> Int {
        // Whole rows go: the oldest kept is the newest row at which the changes counted from the newest reach
        // `keeping` (the window is computed newest first and stops there).
        try await rows(
            """
            WITH oldest_kept AS (
                SELECT id FROM (
                    SELECT id, sum(cardinality(task_ids)) OVER (ORDER BY id DESC) AS newer FROM \(unescaped: s).state_change
                ) counted WHERE newer >= \(max(1, keeping)) ORDER BY id DESC LIMIT 1
            ), gone AS (
                DELETE FROM \(unescaped: s).state_change WHERE id < (SELECT id FROM oldest_kept) RETURNING cardinality(task_ids) AS n
            ) SELECT coalesce(sum(n), 0)::bigint FROM gone
            """
        ).first?.decode(Int.self) ?? 0
    }

    /// `xid:id:n` as numbers; `nil` is the start of the log. A cursor of migration 6, `xid:id`, is its whole row;
    /// SQLite's plain number reads as the start of the log: a cursor never makes a reader skip a change.
    static func parseCursor(_ cursor: String?) throws -> (xid: String, id: Int64, place: Int64) {
        guard let cursor else { return ("0", 0, 0) }
        let parts = cursor.split(separator: ":", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { UInt64($0) }
        guard (1...3).contains(parts.count), numbers.count == parts.count else {
            throw StoreError(.invalid, "\"\(cursor.prefix(40))\" is not an event id (XID:ID:N, whole numbers)")
        }
        switch numbers.count {
        case 3: return (String(numbers[0]), Int64(clamping: numbers[1]), Int64(clamping: numbers[2]))
        case 2: return (String(numbers[0]), Int64(clamping: numbers[1]), Int64.max)
        default: return ("0", 0, 0)
        }
    }
}
