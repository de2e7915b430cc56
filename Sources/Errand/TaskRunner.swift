import ErrandCore
import ErrandStore
import Foundation

/// How one attempt ended, as a runner reports it. The engine turns it into a ``Finish``.
public struct AttemptReport: Sendable, Hashable {
    public var outcome: AttemptOutcome
    /// Result payload (JSON text): the task's result on success, kept in the attempt's log line either way.
    public var result: String?
    public var message: String?
    /// Tasks to enqueue when the outcome is stored (a handler's `postHooks.json`): children of this one, or with
    /// `followUpsAreChildren` false new tasks of their own.
    public var followUps: [NewTask]
    public var followUpsAreChildren: Bool

    public init(
        outcome: AttemptOutcome,
        result: String? = nil,
        message: String? = nil,
        followUps: [NewTask] = [],
        followUpsAreChildren: Bool = true
    ) {
        self.followUpsAreChildren = followUpsAreChildren
        self.outcome = outcome
        self.result = result
        self.message = message
        self.followUps = followUps
    }
}

/// Runs claimed tasks. A runner never touches the store: it only reports how each attempt ended.
public protocol TaskRunner: Sendable {
    /// The handler names this runner runs: its dispatcher claims only tasks of these handlers (all when empty), so
    /// nodes with different runners can share one store and queue.
    var handlers: [String] { get }

    /// Runs one attempt. Swift task cancellation asks it to stop; it then reports `.cancelled` (or whatever it got
    /// to before stopping).
    func run(_ task: TaskRecord, worker: String) async -> AttemptReport
}

/// Runs handlers registered in this process by name.
///
/// Given the store, its handlers' contexts can spawn sub-tasks, report progress and wait for their children
/// (``TaskContext``); the runner itself only reports how each attempt ended.
public struct InProcessRunner: TaskRunner {
    public let registry: HandlerRegistry
    let store: (any TaskStore)?
    let time: any TimeSource

    public init(handlers: HandlerRegistry, store: (any TaskStore)? = nil, time: any TimeSource = SystemTimeSource()) {
        self.registry = handlers
        self.store = store
        self.time = time
    }

    /// The registered names: a node claims only tasks it has a handler for.
    public var handlers: [String] { registry.names }

    public func run(_ task: TaskRecord, worker: String) async -> AttemptReport {
        guard let body = registry.body(for: task.handler) else {
            return AttemptReport(
                outcome: .internalError,
                message: "no handler named \(task.handler) is registered on worker \(worker); known: \(handlers.joined(separator: ", "))"
            )
        }
        do {
            let result = try await body(TaskContext(task: task, worker: worker, store: store, time: time))
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
