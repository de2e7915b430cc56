public import ErrandCore
public import Foundation

/// One state change of a task, as the store recorded it: the event log that `/v1/events` and
/// ``TaskStore/stateChanges(after:limit:)`` read.
///
/// Every store records a change in the same transaction as the change itself, whichever process made it, so a reader
/// sees each change once, in the order they were committed. Changes are stored a write at a time (SQLite: a row per
/// transaction; PostgreSQL: a row per statement, written by a trigger): a row per change cost half the enqueue rate.
public struct StateChange: Sendable, Hashable {
    /// Where this change is in the log: pass it back as `after` to read what came next. Opaque text, made of digits
    /// and `:` (SQLite: the change's sequence number; PostgreSQL: transaction id, row id and place in the row).
    public var cursor: String
    public var taskID: TaskID
    public var queue: String
    public var handler: String
    /// The state before; `nil` when the change is the task's creation.
    public var from: TaskState?
    public var to: TaskState
    /// The task's attempt number after the change.
    public var attempt: Int
    /// When the store recorded it, by the database's clock.
    public var at: Date

    public init(cursor: String, taskID: TaskID, queue: String, handler: String, from: TaskState?, to: TaskState, attempt: Int, at: Date) {
        self.cursor = cursor
        self.taskID = taskID
        self.queue = queue
        self.handler = handler
        self.from = from
        self.to = to
        self.attempt = attempt
        self.at = at
    }

    /// How many changes the janitor keeps by default: resuming a stream works for at least this many.
    public static let defaultKept = 100_000
}
