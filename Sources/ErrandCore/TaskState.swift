/// Where a task is in its life. See DESIGN.md's state diagram.
public enum TaskState: String, Sendable, CaseIterable, Codable {
    /// Waiting for its `runAt` (enqueued for later, or a retry waiting out its backoff). The dispatcher claims it
    /// once `runAt` has passed; no promoter has to move it.
    case scheduled
    /// Ready to run; the dispatcher claims it.
    case pending
    /// Claimed by a worker that holds its lease; the worker finishes it, or the rescuer when the lease expires.
    case running
    /// Finished successfully. Final.
    case completed
    /// Finished unsuccessfully with no attempts left. Final; `task retry` runs it again.
    case failed
    /// Cancelled by an operator or by code. Final.
    case cancelled
    /// The record could not be processed (corrupt or undecodable). Final.
    case dead

    /// Whether no worker or service will move the task out of this state by itself.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .dead: true
        case .scheduled, .pending, .running: false
        }
    }

    /// The states a task waits in before a worker claims it.
    public static let waiting: [TaskState] = [.scheduled, .pending]
    /// The states no service moves a task out of.
    public static let final: [TaskState] = allCases.filter(\.isFinal)
}

/// How one attempt ended.
public enum AttemptOutcome: String, Sendable, CaseIterable {
    /// The handler returned normally.
    case succeeded
    /// The handler threw or exited non-zero.
    case failed
    /// The handler ran past its time limit and was stopped.
    case timeout
    /// The lease expired: the worker died or stopped heart-beating.
    case lost
    /// The worker shut down while the handler ran; does not use up an attempt.
    case signaled
    /// The task was cancelled while it ran.
    case cancelled
    /// Errand itself could not run the handler (unknown handler, unreadable output).
    case internalError = "internal_error"
}

/// Where a task's work happens (ScyllaDB's task `kind`).
public enum TaskLocality: String, Sendable, CaseIterable {
    /// One node runs it.
    case local
    /// It stands for work spread over every live node; its state is derived from its per-node parts.
    case global
}
