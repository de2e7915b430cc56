public import Foundation

/// A named, configured task template (`tasks:` in the config file): what runs, when, and with which policy.
public struct TaskDefinition: Sendable, Hashable {
    /// How a definition's tasks are started.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// On a cron schedule: the leader enqueues each due slot once.
        case periodical
        /// Always one instance alive: when it ends, the next starts after `pause_sec`.
        case continuous
        /// Only when started by name (library, `errand task start`, API).
        case singleShot = "single_shot"
    }

    /// What a periodical definition does about slots missed while no leader ran.
    public enum CatchUp: String, Sendable, Hashable, CaseIterable {
        /// Run the latest missed slot once (the default).
        case latest
        /// Run every missed slot.
        case all
        /// Run none; wait for the next slot.
        case none
    }

    public var name: String
    public var kind: Kind
    /// The handler that runs each launch (Tarantool's `func_name`).
    public var handler: String
    /// Arguments of each launch, as JSON text (Tarantool's `args`).
    public var arguments: String
    /// When a periodical definition fires; `nil` for the other kinds.
    public var schedule: CronSchedule?
    /// The zone the schedule is read in (IANA name).
    public var timeZone: String
    /// Seconds between the end of a continuous task and the start of the next (Tarantool's `pause_sec`).
    public var pauseSeconds: Double
    /// How long each attempt of a launch may run, in seconds (default: `task_storage.task_ttr`). As in Tarantool, it
    /// bounds the attempt: past it the attempt is stopped and ends `lost` (``fixedLease``).
    public var timeToResolve: Double
    /// Seconds an attempt may run before it is stopped with the outcome `timeout` (the `timeout` key); `nil`: only
    /// `timeToResolve` bounds it.
    public var timeout: Double?
    /// Whether `timeToResolve` bounds each attempt of a launch (`fixed_lease`; true, Tarantool's rule). `false` lets
    /// heartbeats extend the lease, as tasques' reports do for its recurring tasks.
    public var fixedLease = true
    public var queue: String
    public var priority: Int
    public var retry: RetryPolicy
    /// A periodical slot is skipped while an earlier launch of the definition is unfinished.
    public var skipIfOutstanding: Bool
    public var catchUp: CatchUp
    /// Each launch's `meta` (a JSON object as text; River's metadata, tasques' `context`), or `nil` for none.
    public var meta: String?

    /// A definition's retry policy when it names none, Tarantool's: one attempt (`max_attempts` 1, `delay` 0,
    /// `delay_factor` 1), so that a periodical task's launches cannot overlap through retries.
    public static let defaultRetry = RetryPolicy(maxAttempts: 1, delay: 0, delayFactor: 1)
    /// A continuous definition's pause when it names none, Tarantool's `pause_sec` default: 60 s.
    public static let defaultPauseSeconds: Double = 60

    public init(
        name: String,
        kind: Kind,
        handler: String,
        arguments: String = "[]",
        schedule: CronSchedule? = nil,
        timeZone: String = "UTC",
        pauseSeconds: Double = TaskDefinition.defaultPauseSeconds,
        timeToResolve: Double = NewTask.defaultTimeToResolve,
        queue: String = QueueName.default,
        priority: Int = Priority.default,
        retry: RetryPolicy = TaskDefinition.defaultRetry,
        skipIfOutstanding: Bool = false,
        catchUp: CatchUp = .latest
    ) {
        self.name = name
        self.kind = kind
        self.handler = handler
        self.arguments = arguments
        self.schedule = schedule
        self.timeZone = timeZone
        self.pauseSeconds = pauseSeconds
        self.timeToResolve = timeToResolve
        self.queue = queue
        self.priority = priority
        self.retry = retry
        self.skipIfOutstanding = skipIfOutstanding
        self.catchUp = catchUp
    }

    /// A new task for one launch of this definition (arguments may be overridden for a single-shot start).
    public func newTask(arguments: String? = nil, runAt: Date? = nil, idempotencyKey: String? = nil) -> NewTask {
        var task = NewTask(
            handler: handler,
            arguments: arguments ?? self.arguments,
            queue: queue,
            priority: priority,
            runAt: runAt,
            retry: retry,
            timeToResolve: timeToResolve,
            idempotencyKey: idempotencyKey
        )
        task.module = name
        task.meta = meta
        task.timeout = timeout
        task.fixedLease = fixedLease
        return task
    }
}
