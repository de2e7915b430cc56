/// What Tarantool's task manager calls the state of a task, for statistics in its vocabulary and spelling.
///
/// Mapped from a task: `scheduled`/`pending` → pending, or unknown task when no live node or worker runs its handler
/// on its queue (its launches would wait forever, as Tarantool's do for a function no runner knows); `running` →
/// running; `completed` → completed; `failed` → failed, or lost when its last attempt ended `lost` (its worker
/// vanished, or it ran past its `time_to_resolve`); `cancelled` → stopped, or did not start when it was cancelled
/// before any attempt began; `dead` (a record that cannot be read, so nothing can run it) → unknown task.
public enum LaunchStatus: String, Sendable, Hashable, CaseIterable {
    case stopped
    case failed
    case lost
    case completed
    case pending
    case didNotStart = "did not start"
    case running
    case unknownTask = "unknown task"

    /// The status of a task in `state`, which has `started` (an attempt began), whose last attempt ended
    /// `lastOutcome`, and which a live node or worker runs (`served`; only waiting tasks ask).
    public init(state: TaskState, started: Bool, lastOutcome: AttemptOutcome?, served: Bool = true) {
        switch state {
        case .scheduled, .pending: self = served ? .pending : .unknownTask
        case .running: self = .running
        case .completed: self = .completed
        case .failed: self = lastOutcome == .lost ? .lost : .failed
        case .cancelled: self = started ? .stopped : .didNotStart
        case .dead: self = .unknownTask
        }
    }

    /// The member names of Tarantool's `statistics().statuses`, in its order, `total` included.
    public static let tarantoolKeys = ["stopped", "failed", "lost", "total", "completed", "pending", "did not start", "running", "unknown task"]
}

/// Task counts in Tarantool's vocabulary: of one definition's launches, or of every task.
public struct LaunchStatistics: Sendable, Hashable {
    /// The definition (the tasks' `module`), or `nil` for a count over every task.
    public var module: String?
    public var counts: [LaunchStatus: Int]

    public init(module: String?, counts: [LaunchStatus: Int]) {
        self.module = module
        self.counts = counts
    }

    /// The count of one status (0 when absent).
    public subscript(status: LaunchStatus) -> Int { counts[status] ?? 0 }

    /// All of them.
    public var total: Int { counts.values.reduce(0, +) }

    /// The count named by one of ``LaunchStatus/tarantoolKeys``.
    public func count(named key: String) -> Int { key == "total" ? total : LaunchStatus(rawValue: key).map { self[$0] } ?? 0 }
}
