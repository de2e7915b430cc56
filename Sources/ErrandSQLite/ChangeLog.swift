import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// The state changes one write transaction makes, written to the log as one row just before it commits (schema
/// version 9).
///
/// A row per change, written by a trigger, halved the enqueue rate: the log's cost is per row, not per byte. So the
/// write paths record here what they change (``SQLiteTaskStore/save(_:_:_:replacing:)`` and the inserts take a log,
/// so none can forget it) and ``SQLiteTaskStore/writeTasks(_:)`` writes them all as one JSON array.
///
/// Every change has a sequence number, its cursor: a row's `id` is the number of its first change and the next row
/// starts after its last, so the numbers only grow and have no gaps (the janitor never deletes the newest row).
final class ChangeLog {
    private var changes = "["
    private(set) var count = 0

    /// Records that `task` moved from `from` (`nil` when it is new) to its current state; a write that leaves the
    /// state as it was (a heartbeat) is not a change.
    func record(_ task: TaskRecord, from: TaskState?) {
        guard from != task.state else { return }
        if count > 0 { changes += "," }
        changes += "[\"\(task.id.rawValue)\","
        Self.appendJSONString(task.queue, to: &changes)
        changes += ","
        Self.appendJSONString(task.handler, to: &changes)
        changes += from.map { ",\"\($0.rawValue)\"," } ?? ",null,"
        changes += "\"\(task.state.rawValue)\",\(task.attempt)]"
        count += 1
    }

    /// Writes the recorded changes as one row, numbered after the newest row's last change.
    func write(_ db: Database) throws {
        guard count > 0 else { return }
        try db.cachedStatement(sql: Self.insert).execute(arguments: [count, changes + "]"])
    }

    private static let insert = """
        INSERT INTO errand_state_change (id, count, at, changes)
        SELECT coalesce((SELECT id + count FROM errand_state_change ORDER BY id DESC LIMIT 1), 1), ?,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), ?
        """

    /// Queue and handler names are identifiers, but a redriven dead letter may bring anything: escape what JSON needs.
    private static func appendJSONString(_ text: String, to json: inout String) {
        json += "\""
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            json += text
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20: json += String(format: "\\u%04x", scalar.value)
                default: json.unicodeScalars.append(scalar)
                }
            }
        }
        json += "\""
    }
}

/// One change as a log row stores it: `[task_id, queue, handler, from_state, to_state, attempt]`.
struct LoggedChange: Decodable {
    var taskID: String
    var queue: String
    var handler: String
    var from: String?
    var to: String
    var attempt: Int

    init(from decoder: any Decoder) throws {
        var fields = try decoder.unkeyedContainer()
        taskID = try fields.decode(String.self)
        queue = try fields.decode(String.self)
        handler = try fields.decode(String.self)
        from = try fields.decodeIfPresent(String.self)
        to = try fields.decode(String.self)
        attempt = try fields.decode(Int.self)
    }
}
