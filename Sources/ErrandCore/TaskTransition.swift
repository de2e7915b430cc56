public import Foundation

/// Something that happens to a task. ``TaskTransition/apply(_:to:now:)`` decides what it does.
public enum TaskEvent: Sendable, Hashable {
    /// A worker takes a due task and starts a new attempt.
    case claim(worker: String)
    /// The lease holder says it is still working: the lease is extended by `time_to_resolve`.
    case heartbeat(Lease)
    /// The lease holder reports how its attempt ended.
    case finish(Finish)
    /// The lease holder hands the task back without using an attempt.
    case unclaim(Lease)
    /// The rescuer found the lease expired: the attempt ends `lost`.
    case rescue
    /// The task's worker was lost (its heartbeat expired) and worker `by` salvages it: the attempt ends `lost` at
    /// once, whatever its lease says, with `salvaged_by` and `salvaged_at` in its record. Like a shutdown, it does
    /// not use up an attempt: the task is pending again at once (pftaskqueue's salvage).
    case salvage(by: String)
    /// An operator or code cancels the task.
    case cancel(reason: String?)
    /// An operator runs a finished task once more.
    case retry
    /// The record cannot be processed; it is parked for inspection.
    case markDead(reason: String)
    /// The last child of a task awaiting its children finished: `failed` of its `children` did not succeed.
    case childrenFinished(failed: Int, of: Int, firstFailed: TaskID?)

    /// The event's name as it appears in refusals and logs.
    public var name: String {
        switch self {
        case .claim: "claim"
        case .heartbeat: "heartbeat"
        case .finish: "finish"
        case .unclaim: "unclaim"
        case .rescue: "rescue"
        case .salvage: "salvage"
        case .cancel: "cancel"
        case .retry: "retry"
        case .markDead: "mark dead"
        case .childrenFinished: "children finished"
        }
    }
}

/// How an attempt ended, as reported by the lease holder.
public struct Finish: Sendable, Hashable {
    public var lease: Lease
    public var outcome: AttemptOutcome
    /// Result payload (JSON text): the task's result when the attempt succeeds; kept in the attempt's log line
    /// whatever its outcome (a failure's details, tasques' failure `data`).
    public var result: String?
    /// Human-readable message: the error of a failed attempt, or a note on a successful one.
    public var message: String?
    /// A value in -1...1 that places a retry's wait inside the policy's jitter band (drawn by the caller).
    public var jitterSample: Double
    /// Tasks to enqueue as children of this one, in the same transaction as the finish and only if it is applied
    /// (a child-process handler's `output/postHooks.json`). Each must pass `NewTask.validate()`.
    public var followUps: [NewTask]
    /// Whether ``followUps`` are this task's children (it then awaits them, and fails if one fails), or new tasks
    /// of their own (pftaskqueue's post hooks: the task's outcome is its handler's alone).
    public var followUpsAreChildren: Bool
    /// Whether a failed attempt may be retried under the task's policy; `false` fails the task now, whatever
    /// attempts it has left (a remote worker's non-retryable failure, River's `JobCancel`).
    public var retryable: Bool

    public init(
        lease: Lease,
        outcome: AttemptOutcome,
        result: String? = nil,
        message: String? = nil,
        jitterSample: Double = 0,
        followUps: [NewTask] = [],
        retryable: Bool = true,
        followUpsAreChildren: Bool = true
    ) {
        self.followUpsAreChildren = followUpsAreChildren
        self.lease = lease
        self.outcome = outcome
        self.result = result
        self.message = message
        self.jitterSample = jitterSample
        self.followUps = followUps
        self.retryable = retryable
    }
}

/// The result of an accepted event: the task as it must now be stored, and the attempt that ended, if one did.
public struct TransitionOutput: Sendable, Hashable {
    public var task: TaskRecord
    public var endedAttempt: Attempt?

    public init(task: TaskRecord, endedAttempt: Attempt?) {
        self.task = task
        self.endedAttempt = endedAttempt
    }
}

/// Why an event was refused; the task is unchanged.
public struct TransitionRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The event does not apply to the task's current state.
        case wrongState = "wrong_state"
        /// The caller does not hold the task's current lease.
        case leaseNotHeld = "lease_not_held"
        /// The task's `run_at` has not come yet.
        case notDue = "not_due"
        /// The lease has not expired yet.
        case leaseNotExpired = "lease_not_expired"
    }

    public var code: Code
    public var taskID: TaskID
    public var state: TaskState
    public var event: String
    public var reason: String

    public init(code: Code, taskID: TaskID, state: TaskState, event: String, reason: String) {
        self.code = code
        self.taskID = taskID
        self.state = state
        self.event = event
        self.reason = reason
    }

    public var description: String { "cannot \(event) task \(taskID) (\(state.rawValue)): \(reason)" }
}

/// The one place that decides how a task moves between states. Pure: no I/O, and time is an argument.
///
/// Every store applies these results, so SQLite and PostgreSQL cannot disagree about semantics.
public enum TaskTransition {
    /// The record for a newly enqueued task: `scheduled` if it may not start yet, otherwise `pending`.
    public static func enqueue(_ new: NewTask, id: TaskID, now: Date) -> TaskRecord {
        let now = now.wholeMilliseconds
        let runAt = max(new.runAt?.wholeMilliseconds ?? now, Date.distantPast)
        return TaskRecord(
            id: id,
            queue: new.queue,
            handler: new.handler,
            arguments: new.arguments,
            priority: new.priority,
            runAt: runAt,
            state: runAt > now ? .scheduled : .pending,
            retry: new.retry,
            timeToResolve: new.timeToResolve,
            idempotencyKey: new.idempotencyKey,
            parentID: new.parentID,
            rootID: nil,
            module: new.module,
            isInternal: new.isInternal,
            tags: new.tags,
            createdAt: now,
            name: nonEmpty(new.name),
            timeout: new.timeout,
            meta: new.meta,
            fixedLease: new.fixedLease,
            requires: Requirement.normalized(new.requires),
            tree: new.tree.requested
        )
    }

    private static func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }

    /// Attempts a task may have given back (shutdowns, unclaims, salvages) before a salvage counts against its
    /// `max_attempts`: a task that kills every worker it lands on must not be salvaged forever.
    public static let salvageAllowance = 10

    /// Applies `event` to `task` at `now`.
    /// - Returns: the next record (and the attempt that ended), or why the event does not apply.
    public static func apply(_ event: TaskEvent, to task: TaskRecord, now: Date) -> Result<TransitionOutput, TransitionRefusal> {
        let now = now.wholeMilliseconds
        func refuse(_ code: TransitionRefusal.Code, _ reason: String) -> Result<TransitionOutput, TransitionRefusal> {
            .failure(TransitionRefusal(code: code, taskID: task.id, state: task.state, event: event.name, reason: reason))
        }
        func checkLease(_ lease: Lease) -> Result<TransitionOutput, TransitionRefusal>? {
            guard task.state == .running else { return refuse(.wrongState, "only a running task has a lease") }
            guard task.lease == lease else {
                return refuse(
                    .leaseNotHeld,
                    "lease is held by \(task.worker ?? "nobody") for attempt \(task.attempt), not by \(lease.worker) for attempt \(lease.attempt)"
                )
            }
            return nil
        }

        switch event {
        case .claim(let worker):
            guard TaskState.waiting.contains(task.state) else {
                return refuse(.wrongState, "only scheduled or pending tasks can be claimed")
            }
            guard task.runAt <= now else { return refuse(.notDue, "not due until \(task.runAt.iso8601)") }
            var next = task
            next.state = .running
            next.attempt += 1
            next.chargedAttempts += 1
            next.worker = worker
            next.startedAt = now
            next.leaseExpiresAt = now.addingTimeInterval(task.timeToResolve).wholeMilliseconds
            return .success(TransitionOutput(task: next, endedAttempt: nil))

        case .heartbeat(let lease):
            if let refusal = checkLease(lease) { return refusal }
            var next = task
            // A fixed lease (Tarantool's time_to_resolve) ends where the claim put it, heartbeats or not.
            if !task.fixedLease { next.leaseExpiresAt = now.addingTimeInterval(task.timeToResolve).wholeMilliseconds }
            return .success(TransitionOutput(task: next, endedAttempt: nil))

        case .finish(let finish):
            if let refusal = checkLease(finish.lease) { return refusal }
            return .success(
                end(
                    task,
                    outcome: finish.outcome,
                    result: finish.result,
                    message: finish.message,
                    jitterSample: finish.jitterSample,
                    retryable: finish.retryable,
                    now: now
                )
            )

        case .unclaim(let lease):
            if let refusal = checkLease(lease) { return refusal }
            var next = released(task)
            next.state = .pending
            next.chargedAttempts = max(0, task.chargedAttempts - 1)
            next.runAt = now
            return .success(TransitionOutput(task: next, endedAttempt: nil))

        case .rescue:
            guard task.state == .running else { return refuse(.wrongState, "only a running task can be rescued") }
            guard let expiry = task.leaseExpiresAt, expiry <= now else {
                return refuse(.leaseNotExpired, "lease runs until \(task.leaseExpiresAt?.iso8601 ?? "never")")
            }
            var message = "lease of worker \(task.worker ?? "unknown") expired at \(expiry.iso8601)"
            if task.fixedLease { message = "ran past its time_to_resolve of \(task.timeToResolve.formatted()) s (\(message))" }
            return .success(end(task, outcome: .lost, result: nil, message: message, jitterSample: 0, now: now))

        case .salvage(let salvager):
            guard task.state == .running else { return refuse(.wrongState, "only a running task can be salvaged") }
            let message = "worker \(task.worker ?? "unknown") was lost; salvaged by \(salvager)"
            // As pftaskqueue does, the task is pending again at once and the attempt is given back: the worker
            // died, which need not be the task's fault. The attempt is logged `lost`. A task that has had many
            // attempts given back may be what kills its workers: from then on a salvage counts like a lost lease.
            let givenBack = task.attempt - task.chargedAttempts
            var output =
                givenBack >= salvageAllowance
                ? end(task, outcome: .lost, result: nil, message: message, jitterSample: 0, now: now)
                : end(task, outcome: .signaled, result: nil, message: message, jitterSample: 0, now: now)
            output.task.lastError = message
            output.endedAttempt?.outcome = .lost
            output.endedAttempt?.salvagedBy = salvager
            output.endedAttempt?.salvagedAt = now
            return .success(output)

        case .cancel(let reason):
            guard !task.state.isFinal else { return refuse(.wrongState, "the task is already finished") }
            // A task awaiting its children has no attempt running: its attempt ended when its handler returned.
            let wasRunning = task.state == .running && !task.isAwaitingChildren
            var next = released(task)
            next.state = .cancelled
            next.finishedAt = now
            next.message = reason ?? "cancelled"
            let attempt = wasRunning ? attemptRecord(task, outcome: .cancelled, message: next.message, result: nil, now: now) : nil
            return .success(TransitionOutput(task: next, endedAttempt: attempt))

        case .retry:
            guard task.state.isFinal else {
                return refuse(.wrongState, "only a finished task can be retried; it will run by itself")
            }
            var next = task
            next.state = .pending
            next.runAt = now
            next.finishedAt = nil
            if task.retry.maxAttempts != RetryPolicy.unlimited {
                next.retry.maxAttempts = max(task.retry.maxAttempts, task.chargedAttempts + 1)
            }
            return .success(TransitionOutput(task: next, endedAttempt: nil))

        case .childrenFinished(let failed, let count, let firstFailed):
            guard task.awaitsChildren else {
                return refuse(.wrongState, "only a task whose handler succeeded, or a global task, awaits its children")
            }
            var next = task
            next.finishedAt = now
            if failed == 0 {
                next.state = .completed
            } else {
                next.state = .failed
                let first = firstFailed.map { " (first: \($0))" } ?? ""
                next.lastError = "\(failed) of its \(count) child tasks did not succeed\(first)"
                next.message = next.lastError
            }
            return .success(TransitionOutput(task: next, endedAttempt: nil))

        case .markDead(let reason):
            guard task.state != .dead else { return refuse(.wrongState, "the task is already dead") }
            var next = released(task)
            next.state = .dead
            next.finishedAt = now
            next.lastError = reason
            return .success(TransitionOutput(task: next, endedAttempt: nil))
        }
    }

    /// Ends the running attempt with `outcome` and decides what comes next.
    private static func end(
        _ task: TaskRecord,
        outcome: AttemptOutcome,
        result: String?,
        message: String?,
        jitterSample: Double,
        retryable: Bool = true,
        now: Date
    ) -> TransitionOutput {
        let attempt = attemptRecord(task, outcome: outcome, message: message, result: result, now: now)
        var next = released(task)
        next.message = message
        switch outcome {
        case .succeeded:
            next.state = .completed
            next.result = result
            next.finishedAt = now
        case .cancelled:
            next.state = .cancelled
            next.finishedAt = now
        case .signaled:
            // A shutdown is not the task's fault: the attempt is given back and the task may start at once.
            next.state = .pending
            next.chargedAttempts = max(0, task.chargedAttempts - 1)
            next.runAt = now
        case .failed, .timeout, .lost, .internalError:
            next.lastError = message ?? outcome.rawValue
            if retryable, task.retry.allowsAnotherAttempt(after: task.chargedAttempts) {
                let wait = task.retry.delay(afterFailedAttempts: task.chargedAttempts, jitterSample: jitterSample)
                next.runAt = now.addingTimeInterval(wait).wholeMilliseconds
                next.state = next.runAt > now ? .scheduled : .pending
                next.priority = min(Priority.lowest, task.priority + task.retry.priorityDecrement)
            } else {
                next.state = .failed
                next.finishedAt = now
            }
        }
        return TransitionOutput(task: next, endedAttempt: attempt)
    }

    /// A finish that completed `output.task` while some of its children are unfinished: the task stays `running`,
    /// without a lease, until its last child finishes (``TaskEvent/childrenFinished(failed:of:firstFailed:)``).
    /// Any other result is returned as it is.
    public static func awaitingChildren(_ output: TransitionOutput) -> TransitionOutput {
        guard output.task.state == .completed else { return output }
        var next = output
        next.task.state = .running
        next.task.finishedAt = nil
        return next
    }

    private static func released(_ task: TaskRecord) -> TaskRecord {
        var next = task
        next.worker = nil
        next.leaseExpiresAt = nil
        return next
    }

    private static func attemptRecord(_ task: TaskRecord, outcome: AttemptOutcome, message: String?, result: String?, now: Date) -> Attempt {
        Attempt(
            taskID: task.id,
            number: task.attempt,
            handler: task.handler,
            worker: task.worker ?? "unknown",
            startedAt: task.startedAt ?? now,
            finishedAt: now,
            outcome: outcome,
            message: message,
            result: result
        )
    }
}
