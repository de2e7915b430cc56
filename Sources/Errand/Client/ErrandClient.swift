public import ErrandCore
public import ErrandStore
public import Foundation

/// The library's front door: enqueue tasks, look at them, wait for results, cancel and retry, manage queues.
///
/// A client is a thin, `Sendable` value over a ``ClientStore``: a store opened here, or a remote server's API
/// (`RemoteTaskStore`); make as many as you like. To run tasks, start an ``ErrandNode`` on the same store.
///
/// ```swift
/// import ErrandSQLite
///
/// let client = try ErrandClient.sqlite(path: "errand.db")
/// let task = try await client.enqueue(NewTask(handler: "errand.echo", arguments: #"{"x":1}"#)).task
/// let done = try await client.wait(for: task.id, timeout: 10)
/// ```
public struct ErrandClient: Sendable {
    public let store: any ClientStore
    public let time: any TimeSource
    /// Where the jitter of the retries this client's finishes schedule comes from (the HTTP API's lease routes).
    public let random: any RandomSource
    /// Where enqueues are counted (``ErrandMetrics/global`` by default).
    public let metrics: ErrandMetrics

    public init(
        store: any ClientStore,
        time: any TimeSource = SystemTimeSource(),
        random: any RandomSource = SystemRandomSource(),
        metrics: ErrandMetrics = .global
    ) {
        self.store = store
        self.time = time
        self.random = random
        self.metrics = metrics
    }

    /// Enqueues one task.
    /// - Throws: ``StoreError`` for an invalid task or an unknown or suspended queue.
    @discardableResult
    public func enqueue(_ task: NewTask) async throws -> EnqueueResult {
        try await enqueue([task])[0]
    }

    /// Launches a task definition now (a single-shot one, usually), with its arguments or `arguments` (JSON);
    /// `byUser` when a person asked (the CLI, the HTTP API), so that the finished task is kept for the user TTL.
    @discardableResult
    public func start(_ definition: TaskDefinition, arguments: String? = nil, byUser: Bool = false) async throws -> TaskRecord {
        var task = definition.newTask(arguments: arguments)
        task.isUserTask = byUser
        return try await enqueue(task).task
    }

    /// Enqueues a batch in one transaction: all are stored or none; with `intoSuspendedQueues`, suspended queues take
    /// them too (pftaskqueue's `add-task`).
    @discardableResult
    public func enqueue(_ tasks: [NewTask], intoSuspendedQueues: Bool = false) async throws -> [EnqueueResult] {
        let results = try await store.enqueue(tasks, now: time.now, intoSuspendedQueues: intoSuspendedQueues)
        metrics.enqueued(results)
        return results
    }

    /// Enqueues a task whose arguments are any `Encodable` value (encoded as JSON).
    @discardableResult
    public func enqueue(
        _ handler: String,
        arguments: some Encodable,
        queue: String = QueueName.default,
        priority: Int = Priority.default,
        runAt: Date? = nil,
        retry: RetryPolicy = .default,
        idempotencyKey: String? = nil
    ) async throws -> EnqueueResult {
        let json = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
        return try await enqueue(
            NewTask(handler: handler, arguments: json, queue: queue, priority: priority, runAt: runAt, retry: retry, idempotencyKey: idempotencyKey)
        )
    }

    /// The task with this id, or `nil`.
    public func task(_ id: TaskID) async throws -> TaskRecord? { try await store.task(id) }

    /// The task's launch log, oldest attempt first.
    public func attempts(of id: TaskID) async throws -> [Attempt] { try await store.attempts(of: id) }

    /// One page of tasks matching `query`.
    public func list(_ query: TaskQuery = TaskQuery()) async throws -> TaskPage { try await store.list(query) }

    /// Task counts by queue and state.
    public func statistics() async throws -> [QueueStatistics] { try await store.statistics() }

    /// Every task's status in Tarantool's vocabulary, in total and per definition (``ClusterView/taskStatuses(now:)``).
    public func taskStatuses() async throws -> TaskStatuses { try await store.taskStatuses(now: time.now) }

    /// Who can take waiting tasks now: the live workers' queues and handlers.
    public func takers() async throws -> TaskTakers { TaskTakers(workers: try await store.workers(states: [.running]), now: time.now) }

    /// Cancels an unfinished task.
    @discardableResult
    public func cancel(_ id: TaskID, reason: String? = nil) async throws -> TaskRecord {
        try await store.cancel(id, reason: reason, now: time.now)
    }

    /// Runs a finished task once more.
    @discardableResult
    public func retry(_ id: TaskID) async throws -> TaskRecord { try await store.retry(id, now: time.now) }

    /// Waits until the task reaches a final state and returns it.
    ///
    /// The store does the waiting (``TaskRecords/wait(for:timeout:time:)``): a local store wakes on its change
    /// signal, so waiting costs no polling of the task; a remote one waits on its server.
    /// - Throws: ``WaitTimeout`` when `timeout` seconds pass first; ``StoreError`` `.notFound` for an unknown id.
    public func wait(for id: TaskID, timeout: Double) async throws -> TaskRecord {
        try await store.wait(for: id, timeout: timeout, time: time)
    }

    // MARK: queues

    /// Creates an active queue.
    @discardableResult
    public func createQueue(_ name: String) async throws -> QueueRecord { try await store.createQueue(name, now: time.now) }

    /// Creates an active queue whose tasks' retries add `retryPriorityDecrement` to their priority number, unless a
    /// task sets its own (riaktq lowers a retried task's priority by 1).
    public func createQueue(_ name: String, retryPriorityDecrement: Int) async throws -> QueueRecord {
        try await store.createQueue(name, retryPriorityDecrement: retryPriorityDecrement, now: time.now)
    }

    /// All queues.
    public func queues() async throws -> [QueueRecord] { try await store.queues() }

    /// Stops claims and enqueues on a queue.
    @discardableResult
    public func suspendQueue(_ name: String) async throws -> QueueRecord {
        try await store.setQueueState(name, to: .suspended, now: time.now)
    }

    /// Lets a suspended queue run again.
    @discardableResult
    public func resumeQueue(_ name: String) async throws -> QueueRecord {
        try await store.setQueueState(name, to: .active, now: time.now)
    }

    /// Deletes a queue with all its tasks; returns how many tasks went.
    @discardableResult
    public func deleteQueue(_ name: String) async throws -> Int { try await store.deleteQueue(name) }
}
