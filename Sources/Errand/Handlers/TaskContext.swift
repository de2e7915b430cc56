import ErrandCore
import Foundation

/// What a handler knows about the attempt it runs.
public struct TaskContext: Sendable {
    /// The task as claimed (state `running`, with its lease).
    public let task: TaskRecord
    /// The worker running the attempt.
    public let worker: String

    public init(task: TaskRecord, worker: String) {
        self.task = task
        self.worker = worker
    }

    /// The task's arguments as JSON text.
    public var arguments: String { task.arguments }

    /// The arguments decoded as `T`.
    /// - Throws: ``HandlerFailure`` naming the handler and the decoding problem; the attempt fails.
    public func decodeArguments<T: Decodable>(as type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(task.arguments.utf8))
        } catch {
            throw HandlerFailure("arguments of \(task.handler) do not decode as \(T.self): \(error)")
        }
    }
}

/// A handler's way to fail an attempt with a message of its choosing.
///
/// Any error a handler throws fails the attempt (and it is retried by the task's policy); this one only controls the
/// message.
public struct HandlerFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
