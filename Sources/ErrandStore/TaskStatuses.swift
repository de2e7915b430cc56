public import ErrandCore
public import Foundation

/// Who can take waiting tasks: the live workers' queues, handlers and tags, as the worker registry holds them. A node
/// registers the handlers it runs (`errand serve` its built-in ones, `errand worker -- CMD` the process handler) and
/// the tags it has; a worker that names no handler is taken to run any handler.
public struct TaskTakers: Sendable, Hashable {
    struct Taker: Sendable, Hashable {
        var queues: Set<String>
        var handlers: Set<String>
        var tags: Set<String>
    }

    var takers: [Taker]

    /// The workers among `workers` alive at `now`.
    public init(workers: [WorkerRecord], now: Date) {
        takers = workers.filter { $0.isLive(at: now) }.map { Taker(queues: Set($0.queues), handlers: Set($0.handlers), tags: Set($0.tags)) }
    }

    /// Whether a live worker claims from `queue`, runs `handler` and has every tag of `requires`.
    public func take(queue: String, handler: String, requires: [String] = []) -> Bool {
        takers.contains {
            ($0.queues.isEmpty || $0.queues.contains(queue)) && ($0.handlers.isEmpty || $0.handlers.contains(handler))
                && Requirement.met(requires, by: $0.tags)
        }
    }

    /// Whether `task` waits (scheduled or pending) and no live worker takes it: Tarantool's `unknown task`.
    public func cannotTake(_ task: TaskRecord) -> Bool {
        TaskState.waiting.contains(task.state) && !take(queue: task.queue, handler: task.handler, requires: task.requires)
    }

    /// Whether a live worker runs `handler`, on any queue.
    public func run(handler: String) -> Bool { takers.contains { $0.handlers.isEmpty || $0.handlers.contains(handler) } }
}

/// Tasks a store counts alike for Tarantool's statistics: the same definition, queue, handler, requirements, state,
/// whether an attempt began, and the outcome of the last attempt (read for failed tasks only).
public struct StatusGroup: Sendable, Hashable {
    public var module: String?
    public var queue: String
    public var handler: String
    public var state: TaskState
    public var started: Bool
    public var lastOutcome: AttemptOutcome?
    public var count: Int
    /// The tags a claimer needs (``Requirement``).
    public var requires: [String]

    public init(
        module: String?,
        queue: String,
        handler: String,
        state: TaskState,
        started: Bool,
        lastOutcome: AttemptOutcome?,
        count: Int,
        requires: [String] = []
    ) {
        self.requires = requires
        self.module = module
        self.queue = queue
        self.handler = handler
        self.state = state
        self.started = started
        self.lastOutcome = lastOutcome
        self.count = count
    }
}

/// Tarantool's statistics (`statistics().statuses`): every task's status, anonymous tasks and children included,
/// in total and per definition.
public struct TaskStatuses: Sendable, Hashable {
    /// Over every task (`module` nil).
    public var all: LaunchStatistics
    /// Per definition (the tasks' module), sorted by name.
    public var definitions: [LaunchStatistics]

    public init(all: LaunchStatistics, definitions: [LaunchStatistics]) {
        self.all = all
        self.definitions = definitions
    }

    /// Sums a store's groups; a waiting task that no live worker in `takers` takes counts as unknown task.
    public static func tally(_ groups: [StatusGroup], takers: TaskTakers) -> TaskStatuses {
        var all: [LaunchStatus: Int] = [:]
        var byModule: [String: [LaunchStatus: Int]] = [:]
        for group in groups {
            let waiting = group.state == .scheduled || group.state == .pending
            let served = !waiting || takers.take(queue: group.queue, handler: group.handler, requires: group.requires)
            let status = LaunchStatus(state: group.state, started: group.started, lastOutcome: group.lastOutcome, served: served)
            all[status, default: 0] += group.count
            if let module = group.module { byModule[module, default: [:]][status, default: 0] += group.count }
        }
        return TaskStatuses(
            all: LaunchStatistics(module: nil, counts: all),
            definitions: byModule.keys.sorted().map { LaunchStatistics(module: $0, counts: byModule[$0] ?? [:]) }
        )
    }
}
