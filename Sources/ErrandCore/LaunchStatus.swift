/// What Tarantool's task manager calls the state of a launch, for statistics in its vocabulary.
///
/// Mapped from a task: `scheduled`/`pending` → pending, `running` → running, `completed` → completed, `failed` →
/// failed, or lost when its last attempt ended `lost` (the worker vanished); `cancelled` → stopped, or did not start
/// when it was cancelled before any attempt began; `dead` (an undecodable record) → unknown task.
public enum LaunchStatus: String, Sendable, Hashable, CaseIterable {
    case pending
    case running
    case completed
    case failed
    case lost
    case stopped
    case didNotStart = "did_not_start"
    case unknownTask = "unknown_task"

    /// The status of a task in `state`, which has `started` (an attempt began) and whose last attempt ended
    /// `lastOutcome`.
    public init(state: TaskState, started: Bool, lastOutcome: AttemptOutcome?) {
        switch state {
        case .scheduled, .pending: self = .pending
        case .running: self = .running
        case .completed: self = .completed
        case .failed: self = lastOutcome == .lost ? .lost : .failed
        case .cancelled: self = started ? .stopped : .didNotStart
        case .dead: self = .unknownTask
        }
    }
}

/// Launch counts of one module (a definition's launches carry its name) in Tarantool's vocabulary.
public struct LaunchStatistics: Sendable, Hashable {
    public var module: String
    public var counts: [LaunchStatus: Int]

    public init(module: String, counts: [LaunchStatus: Int]) {
        self.module = module
        self.counts = counts
    }

    /// The count of one status (0 when absent).
    public subscript(status: LaunchStatus) -> Int { counts[status] ?? 0 }

    /// All launches.
    public var total: Int { counts.values.reduce(0, +) }
}
