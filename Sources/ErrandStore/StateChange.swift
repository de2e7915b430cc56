public import ErrandCore
public import Foundation

/// One state change of a task, as the store recorded it: the event log that `/v1/events` and
/// ``TaskStore/stateChanges(after:limit:)`` read.
///
/// Every store records a change in the same transaction as the change itself, whichever process made it, so a reader
/// sees each change once, in the order they were committed. Changes are stored a write at a time (SQLite: a row per
/// transaction; PostgreSQL: a row per statement, written by a trigger): a row per change cost half the enqueue rate.
///
/// A change carries the task as it was just after it (riaktq's events carry the whole task): its priority, retries
/// left, worker, and on a change out of `running` or into a final state what it ended with (``Outcome``, capped).
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
    /// The task's priority after the change (a retry may have lowered it).
    public var priority: Int
    /// How many more attempts the task may have after the change: its `max_attempts` less the attempts it used;
    /// -1 when it retries without limit.
    public var retriesLeft: Int
    /// The worker that holds the task (a change to `running`) or last held it; `nil` before any claim.
    public var worker: String?
    /// What the task ended with, on a change out of `running` or into a final state; `nil` on other changes.
    public var outcome: Outcome?

    /// The result and messages a change out of `running` or into a final state carries, each cut at
    /// ``StateChange/payloadCap``: a result longer than that (as JSON text) is left out, messages are cut to it, and
    /// ``truncated`` says so. The whole task stays readable at `/v1/tasks/{id}`.
    public struct Outcome: Sendable, Hashable {
        /// The handler's result (JSON text) when the task completed.
        public var result: String?
        /// The latest attempt's message.
        public var message: String?
        /// The latest failed attempt's error.
        public var error: String?
        /// Whether a result was left out or a message cut for its length.
        public var truncated: Bool

        public init(result: String?, message: String?, error: String?, truncated: Bool) {
            (self.result, self.message, self.error, self.truncated) = (result, message, error, truncated)
        }

        /// What `task` carries out of a change from `from`, capped; `nil` when the change carries nothing.
        public static func of(_ task: TaskRecord, from: TaskState?) -> Outcome? {
            guard from == .running || task.state.isFinal else { return nil }
            return capped(result: task.state == .completed ? task.result : nil, message: task.message, error: task.lastError)
        }

        /// The three fields cut at ``StateChange/payloadCap`` code points (PostgreSQL's `char_length`; a result that
        /// does not fit is left out whole: half a JSON text is no JSON).
        public static func capped(result: String?, message: String?, error: String?) -> Outcome {
            let cap = StateChange.payloadCap
            // Past the cap, whatever the length: a megabyte result costs a finish no count of its code points.
            func tooLong(_ text: String?) -> Bool { text.map { !$0.unicodeScalars.dropFirst(cap).isEmpty } ?? false }
            let fits = !tooLong(result)
            let cut = tooLong(message) || tooLong(error)
            func prefix(_ text: String) -> String { String(String.UnicodeScalarView(text.unicodeScalars.prefix(cap))) }
            return Outcome(result: fits ? result : nil, message: message.map(prefix), error: error.map(prefix), truncated: !fits || cut)
        }
    }

    public init(
        cursor: String,
        taskID: TaskID,
        queue: String,
        handler: String,
        from: TaskState?,
        to: TaskState,
        attempt: Int,
        at: Date,
        priority: Int = 0,
        retriesLeft: Int = 0,
        worker: String? = nil,
        outcome: Outcome? = nil
    ) {
        self.cursor = cursor
        self.taskID = taskID
        self.queue = queue
        self.handler = handler
        self.from = from
        self.to = to
        self.attempt = attempt
        self.at = at
        self.priority = priority
        self.retriesLeft = retriesLeft
        self.worker = worker
        self.outcome = outcome
    }

    /// The longest result, message or error (in Unicode code points) a change carries; longer ones are cut (see ``Outcome``).
    public static let payloadCap = 1024

    /// How many more attempts `task` may have: see ``retriesLeft``.
    public static func retriesLeft(_ task: TaskRecord) -> Int {
        task.retry.maxAttempts == RetryPolicy.unlimited ? -1 : max(0, task.retry.maxAttempts - task.chargedAttempts)
    }

    /// How many changes the janitor keeps by default: resuming a stream works for at least this many.
    public static let defaultKept = 100_000
}
