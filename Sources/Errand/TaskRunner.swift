import ErrandCore
import Foundation

/// How one attempt ended, as a runner reports it. The engine turns it into a ``Finish``.
public struct AttemptReport: Sendable, Hashable {
    public var outcome: AttemptOutcome
    /// Result payload (JSON text) of a successful attempt.
    public var result: String?
    public var message: String?

    public init(outcome: AttemptOutcome, result: String? = nil, message: String? = nil) {
        self.outcome = outcome
        self.result = result
        self.message = message
    }
}

/// Runs claimed tasks. A runner never touches the store: it only reports how each attempt ended.
public protocol TaskRunner: Sendable {
    /// Runs one attempt. Swift task cancellation asks it to stop; it then reports `.cancelled` (or whatever it got
    /// to before stopping).
    func run(_ task: TaskRecord, worker: String) async -> AttemptReport
}

/// Runs handlers registered in this process by name.
public struct InProcessRunner: TaskRunner {
    public let handlers: HandlerRegistry

    public init(handlers: HandlerRegistry) {
        self.handlers = handlers
    }

    public func run(_ task: TaskRecord, worker: String) async -> AttemptReport {
        guard let body = handlers.body(for: task.handler) else {
            return AttemptReport(
                outcome: .internalError,
                message: "no handler named \(task.handler) is registered on worker \(worker); known: \(handlers.names.joined(separator: ", "))"
            )
        }
        do {
            let result = try await body(TaskContext(task: task, worker: worker))
            return AttemptReport(outcome: .succeeded, result: result)
        } catch let timeout as HandlerTimeout {
            return AttemptReport(outcome: .timeout, message: timeout.message)
        } catch let failure as HandlerFailure {
            return AttemptReport(outcome: Task.isCancelled ? .cancelled : .failed, message: failure.message)
        } catch is CancellationError {
            return AttemptReport(outcome: .cancelled, message: "cancelled")
        } catch {
            return AttemptReport(outcome: Task.isCancelled ? .cancelled : .failed, message: String(describing: error))
        }
    }
}
