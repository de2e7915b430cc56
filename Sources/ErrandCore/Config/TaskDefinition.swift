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
    /// Seconds between the end of a continuous task and the start of the next.
    public var pauseSeconds: Double
    /// Lease of each launch in seconds (default: `task_storage.task_ttr`).
    public var timeToResolve: Double
    public var queue: String
    public var priority: Int
    public var retry: RetryPolicy
    /// A periodical slot is skipped while an earlier launch of the definition is unfinished.
    public var skipIfOutstanding: Bool
    public var catchUp: CatchUp
    /// Each launch's `meta` (a JSON object as text; River's metadata, tasques' `context`), or `nil` for none.
    public var meta: String?

    public init(
        name: String,
        kind: Kind,
        handler: String,
        arguments: String = "[]",
        schedule: CronSchedule? = nil,
        timeZone: String = "UTC",
        pauseSeconds: Double = 0,
        timeToResolve: Double = NewTask.defaultTimeToResolve,
        queue: String = QueueName.default,
        priority: Int = Priority.default,
        retry: RetryPolicy = .default,
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
        return task
    }
}
