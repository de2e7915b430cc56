public import ErrandCore
import Foundation

/// ``TaskRecords/wait(for:timeout:time:)`` gave up before the task finished.
public struct WaitTimeout: Error, Sendable, CustomStringConvertible {
    /// The task as last seen.
    public var task: TaskRecord
    public var timeout: Double

    public init(task: TaskRecord, timeout: Double) {
        self.task = task
        self.timeout = timeout
    }

    public var description: String {
        "task \(task.id) is still \(task.state.rawValue) after \(timeout) s"
    }
}
