import Foundation

/// How many times a task runs and how long it waits between failed attempts.
///
/// The wait after the n-th failed attempt is `delay × delay_factor^(n-1)`, capped at `max_delay`, then spread by
/// `jitter`. With delay 8, factor 1.5 and 8 attempts the retries wait 8, 12, 18, 27, 40.5, 60.75 and 91.125 s
/// (Tarantool's worked example). Delays are computed in `Double` seconds; the resulting `run_at` is rounded to the
/// nearest millisecond, the precision every store keeps.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts, the first included (1 = never retry; ``unlimited`` = retry until it succeeds).
    public var maxAttempts: Int
    /// Seconds to wait after the first failed attempt.
    public var delay: Double
    /// Multiplier applied to the wait for each further failed attempt (1 = constant delay).
    public var delayFactor: Double
    /// Upper bound of any single wait, in seconds; below `delay` it caps the first wait too.
    public var maxDelay: Double
    /// Random spread of each wait as a fraction: 0.1 means ±10 %. 0 gives exact, repeatable waits.
    public var jitter: Double
    /// Added to the task's priority number on each retry (lower urgency), capped at ``Priority/lowest``.
    public var priorityDecrement: Int

    /// The `maxAttempts` of a task that is retried until it succeeds (pftaskqueue's negative `retryLimit`).
    public static let unlimited = -1

    /// The policy a task gets when it names none: 3 attempts, waits of 10 s then 20 s, capped at one hour.
    public static let `default` = RetryPolicy()

    public init(
        maxAttempts: Int = 3,
        delay: Double = 10,
        delayFactor: Double = 2,
        maxDelay: Double = 3600,
        jitter: Double = 0,
        priorityDecrement: Int = 0
    ) {
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.delayFactor = delayFactor
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.priorityDecrement = priorityDecrement
    }

    /// pftaskqueue's `retryLimit`: the retries after the first attempt, -1 for no limit.
    public var retryLimit: Int {
        get { maxAttempts == Self.unlimited ? -1 : maxAttempts - 1 }
        set { maxAttempts = newValue < 0 ? Self.unlimited : newValue + 1 }
    }

    /// Refuses a policy that cannot mean anything, naming the offending field.
    /// - Throws: ``InvalidField`` for the first rule broken.
    public func validate() throws(InvalidField) {
        guard maxAttempts >= 1 || maxAttempts == Self.unlimited else {
            throw InvalidField(field: "max_attempts", reason: "must be at least 1 (or -1 for no limit), got \(maxAttempts)")
        }
        guard maxAttempts <= 10_000 else {
            throw InvalidField(field: "max_attempts", reason: "must be at most 10000, got \(maxAttempts)")
        }
        try InvalidField.seconds(delay, "delay", allowZero: true)
        guard delayFactor.isFinite, delayFactor >= 1 else {
            throw InvalidField(field: "delay_factor", reason: "must be >= 1 (1 keeps the delay constant), got \(delayFactor)")
        }
        try InvalidField.seconds(maxDelay, "max_delay", allowZero: true)
        guard jitter.isFinite, (0...1).contains(jitter) else {
            throw InvalidField(field: "jitter", reason: "must be between 0 and 1, got \(jitter)")
        }
        try Self.checkPriorityDecrement(priorityDecrement, field: "priority_decrement")
    }

    /// Takes a queue's `retry_priority_decrement` at enqueue, unless this policy sets its own (not 0).
    public mutating func adoptQueuePriorityDecrement(_ queueDecrement: Int) {
        if priorityDecrement == 0 { priorityDecrement = queueDecrement }
    }

    /// The rule of a priority decrement, a task's or a queue's (`retry_priority_decrement`): 0 through 9 (more
    /// could only reach the least urgent priority, 9, sooner than 9 does).
    /// - Throws: ``InvalidField`` naming `field`.
    public static func checkPriorityDecrement(_ value: Int, field: String) throws(InvalidField) {
        guard (0...Priority.lowest).contains(value) else {
            throw InvalidField(field: field, reason: "must be between 0 and \(Priority.lowest), got \(value)")
        }
    }

    /// Seconds to wait after `failedAttempts` attempts have failed (1 = after the first).
    /// - Parameter jitterSample: a value in -1...1 that picks where in the jitter band the wait falls; the caller
    ///   draws it so that this function stays pure.
    public func delay(afterFailedAttempts failedAttempts: Int, jitterSample: Double = 0) -> Double {
        let exponent = Double(max(0, failedAttempts - 1))
        let base = min(delay * pow(delayFactor, exponent), maxDelay)
        let spread = 1 + jitter * min(1, max(-1, jitterSample))
        return max(0, base * spread)
    }

    /// Whether a task that has used `chargedAttempts` attempts may run again.
    public func allowsAnotherAttempt(after chargedAttempts: Int) -> Bool {
        maxAttempts == Self.unlimited || chargedAttempts < maxAttempts
    }
}
