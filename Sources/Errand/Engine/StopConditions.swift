import Foundation

/// When a dispatcher stops on its own, as a batch worker does (pftaskqueue's `numTasks`, `exitOnEmpty`,
/// `exitOnSuspend`). It then stops claiming, lets its running attempts finish (no grace deadline) and returns.
public struct StopConditions: Sendable, Hashable {
    /// Stop after claiming this many tasks in all.
    public var maxTasks: Int?
    /// Stop once nothing has been running and nothing could be claimed for this many seconds (`exit_on_empty`
    /// with its grace period).
    public var idleFor: Double?
    /// Stop once every queue the dispatcher claims from is suspended.
    public var onSuspend: Bool

    public init(maxTasks: Int? = nil, idleFor: Double? = nil, onSuspend: Bool = false) {
        self.maxTasks = maxTasks
        self.idleFor = idleFor
        self.onSuspend = onSuspend
    }
}

/// Why a dispatcher stopped.
public enum StopReason: Sendable, Hashable, CustomStringConvertible {
    /// A graceful shutdown (a signal, or ``Dispatcher/stop()``).
    case shutdown
    /// It claimed its ``StopConditions/maxTasks``.
    case maxTasks(Int)
    /// Its queues stayed empty for the grace period.
    case empty(Double)
    /// Every queue it claims from is suspended.
    case suspended

    public var description: String {
        switch self {
        case .shutdown: "shutdown"
        case .maxTasks(let count): "claimed its \(count) tasks (num_tasks)"
        case .empty(let grace): "nothing to do for \(grace.formatted()) s (exit_on_empty)"
        case .suspended: "its queues are suspended (exit_on_suspend)"
        }
    }
}
