import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// The state changes one write transaction makes, written to the log as one row just before it commits (schema
/// version 9).
///
/// A row per change, written by a trigger, halved the enqueue rate: the log costs what it adds to each commit's pages.
/// So the write paths record here what they change (``SQLiteTaskStore/save(_:_:_:replacing:)`` and the inserts take a
/// log, so none can forget it) and ``SQLiteTaskStore/writeTasks(_:)`` writes them all as one row, in a compact binary
/// form (``ChangeLogCoding``): about 21 bytes a change, where JSON took 80.
///
/// Every change has a sequence number, its cursor: a row's `id` is the number of its first change and the next row
/// starts after its last, so the numbers only grow and have no gaps (the janitor never deletes the newest row).
final class ChangeLog {
    private var coding = ChangeLogCoding.Encoder()

    /// How many changes are recorded.
    var count: Int { coding.count }

    /// Records that a task moved from `old`'s state (`old` is `nil` when it is new) to `task`'s; a write that leaves
    /// the state as it was (a heartbeat) is not a change.
    func record(_ task: TaskRecord, replacing old: TaskRecord?) {
        guard old?.state != task.state else { return }
        coding.append(task, replacing: old)
    }

    /// Writes the recorded changes as one row, numbered after the newest row's last change.
    func write(_ db: Database) throws {
        guard count > 0 else { return }
        try db.cachedStatement(sql: Self.insert).execute(arguments: [count, coding.bytes()])
    }

    private static let insert = """
        INSERT INTO errand_state_change (id, count, at, changes)
        SELECT coalesce((SELECT id + count FROM errand_state_change ORDER BY id DESC LIMIT 1), 1), ?,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), ?
        """
}

/// One change as a log row holds it.
struct LoggedChange: Decodable, Equatable {
    var taskID: String
    var queue: String
    var handler: String
    var from: String?
    var to: String
    var attempt: Int
    /// The task's priority, retries left, worker and outcome (``StateChange``); rows of format 1 have none.
    var priority = 0
    var retriesLeft = 0
    var worker: String?
    var outcome: StateChange.Outcome?

    init(
        taskID: String,
        queue: String,
        handler: String,
        from: String?,
        to: String,
        attempt: Int,
        priority: Int = 0,
        retriesLeft: Int = 0,
        worker: String? = nil,
        outcome: StateChange.Outcome? = nil
    ) {
        (self.taskID, self.queue, self.handler, self.from, self.to, self.attempt) = (taskID, queue, handler, from, to, attempt)
        (self.priority, self.retriesLeft, self.worker, self.outcome) = (priority, retriesLeft, worker, outcome)
    }

    /// The JSON form of the rows version 9 carried over from version 6: `[task_id, queue, handler, from, to, attempt]`.
    init(from decoder: any Decoder) throws {
        var fields = try decoder.unkeyedContainer()
        taskID = try fields.decode(String.self)
        queue = try fields.decode(String.self)
        handler = try fields.decode(String.self)
        from = try fields.decodeIfPresent(String.self)
        to = try fields.decode(String.self)
        attempt = try fields.decode(Int.self)
    }

    /// The changes of one row: the binary form the store writes, or the JSON of a row carried over from version 6.
    /// `nil` when the row cannot be read (edited by hand into nonsense).
    static func decode(_ value: DatabaseValue) -> [LoggedChange]? {
        switch value.storage {
        case .blob(let data): ChangeLogCoding.decode(data)
        case .string(let text): try? JSONDecoder().decode([LoggedChange].self, from: Data(text.utf8))
        default: nil
        }
    }
}
