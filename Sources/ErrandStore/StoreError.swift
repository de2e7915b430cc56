public import ErrandCore

/// A store operation that could not be done, with what the operator needs to know.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; grows over time, so switch with a default.
    public enum Code: String, Sendable, Hashable {
        case notFound = "not_found"
        case unknownQueue = "unknown_queue"
        case queueSuspended = "queue_suspended"
        case alreadyExists = "already_exists"
        case invalid
        case refused
        /// The task may not be aborted (cancelled).
        case notAbortable = "not_abortable"
        case unavailable
        case corrupt
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func notFound(_ id: TaskID) -> StoreError { StoreError(.notFound, "no task with id \(id)") }

    /// Why ``TaskRecords/delete(_:)`` left `task` alone.
    public static func notDeletable(_ task: TaskRecord) -> StoreError {
        if !task.state.isFinal {
            return StoreError(.refused, "task \(task.id) is \(task.state.rawValue): only a finished task is deleted (cancel it first)")
        }
        if let parent = task.parentID {
            return StoreError(.refused, "task \(task.id) is a child of \(parent): a tree is deleted whole, from its root \(task.rootID ?? parent)")
        }
        return StoreError(.refused, "task \(task.id) has unfinished descendants: its tree is deleted once all of it has finished")
    }

    public static func unknownQueue(_ name: String) -> StoreError {
        StoreError(.unknownQueue, "queue \"\(name)\" does not exist; create it with `errand queue create \(name)`")
    }

    public static func queueSuspended(_ name: String) -> StoreError {
        StoreError(.queueSuspended, "queue \"\(name)\" is suspended; resume it with `errand queue resume \(name)`")
    }

    public static func notAbortable(_ task: TaskRecord) -> StoreError {
        StoreError(.notAbortable, "task \(task.id) is not abortable; it runs until it finishes")
    }

    public static func refused(_ refusal: TransitionRefusal) -> StoreError { StoreError(.refused, refusal.description) }

    /// A retry that would give an idempotency key to two unfinished tasks of one queue.
    public static func keyTaken(retrying task: TaskRecord, by other: String) -> StoreError {
        StoreError(
            .alreadyExists,
            "cannot retry task \(task.id): task \(other) in queue \"\(task.queue)\" is unfinished with the same idempotency key \"\(task.idempotencyKey ?? "")\""
        )
    }

    public static func invalid(_ problem: InvalidField, index: Int? = nil) -> StoreError {
        StoreError(.invalid, (index.map { "task \($0): " } ?? "") + problem.description)
    }
}
