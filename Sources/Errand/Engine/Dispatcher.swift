import ErrandCore
public import ErrandStore
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Settings of a ``Dispatcher``.
public struct DispatcherConfiguration: Sendable {
    /// Identity recorded in every lease this dispatcher takes.
    public var worker: String
    /// Most attempts running at once.
    public var capacity: Int
    /// Queues to claim from; empty means every active queue.
    public var queues: [String]
    /// Largest claim per transaction.
    public var maxClaimBatch: Int
    /// Seconds between checks for work when no change is signalled: a backstop, since changes wake it at once (the
    /// stores signal their own writes, other processes' commits and, on PostgreSQL, poll on their own too).
    public var pollInterval: Double
    /// Seconds a graceful shutdown waits for running attempts before cancelling them (they end `signaled`).
    public var shutdownGrace: Double
    /// Seconds an attempt may run when its task names no `timeout`; `nil` lets it run until it ends.
    public var defaultTimeout: Double?
    /// When to stop on its own (a batch worker's `num_tasks`, `exit_on_empty`, `exit_on_suspend`).
    public var stopWhen: StopConditions
    /// The tags this worker has (riaktq's instance features, `gpu`): it claims the tasks whose requirements are
    /// among them, and those that require nothing.
    public var tags: [String] = []

    public init(
        worker: String = DispatcherConfiguration.defaultWorkerName(),
        capacity: Int = 32,
        queues: [String] = [],
        maxClaimBatch: Int = 500,
        pollInterval: Double = 5,
        shutdownGrace: Double = 10,
        defaultTimeout: Double? = nil,
        stopWhen: StopConditions = StopConditions()
    ) {
        self.worker = worker
        self.capacity = capacity
        self.queues = queues
        self.maxClaimBatch = maxClaimBatch
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.defaultTimeout = defaultTimeout
        self.stopWhen = stopWhen
    }

    /// `host:pid`, unique among live processes.
    public static func defaultWorkerName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}

/// Keeps up to `capacity` attempts running: claims due tasks in batches sized by free capacity, runs them, heartbeats
/// their leases and hands their outcomes to the completion batcher. Sleeps until the store signals a change, a slot
/// frees, or the next `run_at` comes; it never busy-polls.
///
/// - Important: On graceful shutdown it stops claiming, waits up to `shutdownGrace` for running attempts, then
///   cancels the rest; those end `signaled` and go back to `pending` without using an attempt.
public final class Dispatcher: Service {
    struct Running {
        var lease: Lease
        var timeToResolve: Double
        var lastHeartbeat: Date
        var handle: Task<AttemptReport, Never>
        var leaseLost = false
        /// The attempt's time limit, when it has one.
        var timeout: Double?
        /// When a fixed lease (Tarantool's `time_to_resolve`) ends the attempt, if that comes before `timeout`.
        var resolveBy: Date?
        var timedOut = false
        var timer: Task<Void, Never>?
    }

    struct State {
        var running: [TaskID: Running] = [:]
        var stopping = false
        /// Why the dispatcher stopped, once it has.
        var stopReason: StopReason?
        /// Stopping on its own: running attempts finish without a deadline (until a shutdown asks otherwise).
        var draining = false
        var stopAskedAt: Date?
        /// Tasks claimed since start.
        var claimed = 0
        /// Claims made since start (for metrics, and to see that an idle dispatcher does not spin).
        var claimRounds = 0
        /// Since when nothing was running and nothing could be claimed.
        var idleSince: Date?
        var cancelledForShutdown = false
        var finished = false
        /// When the heartbeat loop plans to wake next.
        var nextHeartbeatCheck = Date.distantFuture
    }

    let store: any TaskStore
    private let runner: any TaskRunner
    let time: any TimeSource
    let configuration: DispatcherConfiguration
    let logger: Logger
    let state = Mutex(State())
    /// Rung when an attempt ends or the dispatcher stops.
    private let slotFreed = ChangeSignal()
    /// Rung when the heartbeat loop must look again: a new attempt needs a heartbeat before the loop's planned
    /// wake-up, or every attempt has ended after a stop.
    private let heartbeatBell = ChangeSignal()
    private let batcher: CompletionBatcher
    private let random: any RandomSource
    private let metrics: ErrandMetrics

    public init(
        store: any TaskStore,
        runner: any TaskRunner,
        configuration: DispatcherConfiguration = DispatcherConfiguration(),
        time: any TimeSource = SystemTimeSource(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger = Logger(label: "errand.dispatcher"),
        metrics: ErrandMetrics = .global
    ) {
        precondition(configuration.capacity > 0, "capacity must be at least 1")
        self.store = store
        self.runner = runner
        self.configuration = configuration
        self.time = time
        self.random = random
        self.logger = logger
        self.metrics = metrics
        self.batcher = CompletionBatcher(store: store, time: time, logger: logger, metrics: metrics)
    }

    /// The name this dispatcher records in its leases.
    public var worker: String { configuration.worker }

    /// Most attempts this dispatcher runs at once.
    public var capacity: Int { configuration.capacity }

    /// Number of attempts running now.
    public var runningCount: Int { state.withLock { $0.running.count } }

    /// Claims made since it started.
    public var claimRounds: Int { state.withLock { $0.claimRounds } }

    /// Why the dispatcher stopped, or `nil` while it runs.
    public var stopReason: StopReason? { state.withLock { $0.stopReason } }

    /// Asks the dispatcher to stop claiming and wind down, as a graceful shutdown does: running attempts get
    /// `shutdownGrace` seconds, then are cancelled.
    public func stop() {
        let now = time.now
        state.withLock { state in
            state.stopping = true
            state.draining = false
            state.stopAskedAt = state.stopAskedAt ?? now
            state.stopReason = state.stopReason ?? .shutdown
        }
        store.changes().notify()
        slotFreed.notify()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.batcher.run() }
                group.addTask { await self.heartbeatLoop() }
                await self.claimLoop(&group)
                await self.windDown()
                self.batcher.close()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Claims while there is capacity and work; returns once stopping.
    private func claimLoop(_ group: inout DiscardingTaskGroup) async {
        let changes = store.changes()
        var seen = changes.generation
        var failures = 0
        while !state.withLock({ $0.stopping }), !Task.isCancelled {
            seen = changes.generation
            // Backpressure: when finishes cannot be written (the store refuses writes but not claims), stop claiming
            // once more than `capacity` of them wait, rather than run ever more tasks whose outcome may be lost.
            let free = configuration.capacity - runningCount - max(0, batcher.unwritten - configuration.capacity)
            var claimedAll = false
            let allowed = configuration.stopWhen.maxTasks.map { $0 - state.withLock { $0.claimed } } ?? Int.max
            if allowed <= 0 {
                drain(.maxTasks(configuration.stopWhen.maxTasks ?? 0))
                break
            }
            let claimedAt = time.now
            if free > 0 {
                let limit = min(free, configuration.maxClaimBatch, allowed)
                do {
                    let claimed = try await store.claim(
                        ClaimRequest(
                            queues: configuration.queues,
                            handlers: runner.handlers,
                            worker: configuration.worker,
                            limit: limit,
                            now: claimedAt,
                            tags: configuration.tags
                        )
                    )
                    failures = 0
                    metrics.claimed(claimed)
                    state.withLock { state in
                        state.claimed += claimed.count
                        state.claimRounds += 1
                    }
                    for task in claimed { start(task, in: &group) }
                    claimedAll = claimed.count == limit
                    if claimed.isEmpty, await stopsWhenIdle() { break }
                } catch {
                    failures += 1
                    logger.error("claim failed", metadata: ["errand.error": "\(error)"])
                    _ = await changes.wait(beyond: seen, until: time.now.addingTimeInterval(min(5, 0.1 * Double(failures))), time: time)
                    continue
                }
            }
            if claimedAll && runningCount < configuration.capacity { continue }
            var deadline = time.now.addingTimeInterval(configuration.pollInterval)
            // Only this node's handlers count. A task due by the claim's time that the claim did not take is not
            // this node's to take now (locked by another node): only a task due after it is a reason to wake early;
            // waking for the others would spin.
            if free > 0, let next = try? await store.nextRunAt(queues: configuration.queues, handlers: runner.handlers), next > claimedAt {
                deadline = min(deadline, next)
            }
            seen = await changes.wait(beyond: seen, until: deadline, time: time)
        }
    }

    private func start(_ task: TaskRecord, in group: inout DiscardingTaskGroup) {
        guard let lease = task.lease else { return }
        let runner = self.runner
        let worker = configuration.worker
        let handle = Task { await runner.run(task, worker: worker) }
        let now = time.now
        let timeout = task.timeout ?? configuration.defaultTimeout
        // A fixed lease bounds the attempt where the claim put its end; the earlier of the two limits stops it.
        let timeoutAt = timeout.map { now.addingTimeInterval($0) }
        var resolveBy = task.fixedLease ? task.leaseExpiresAt : nil
        if let end = resolveBy, let timeoutAt, timeoutAt < end { resolveBy = nil }
        let timer = (resolveBy ?? timeoutAt).map { deadline in
            Task { [time] in
                guard (try? await time.sleep(until: deadline)) != nil else { return }
                self.timedOut(task.id)
            }
        }
        let ringHeartbeat = state.withLock { state in
            state.idleSince = nil
            state.running[task.id] = Running(
                lease: lease,
                timeToResolve: task.timeToResolve,
                lastHeartbeat: now,
                handle: handle,
                timeout: timeout,
                resolveBy: resolveBy,
                timer: timer
            )
            return now.addingTimeInterval(task.timeToResolve / 3) < state.nextHeartbeatCheck
        }
        if ringHeartbeat { heartbeatBell.notify() }
        group.addTask {
            let report = await handle.value
            self.finished(task.id, report: report)
        }
    }

    private func finished(_ id: TaskID, report: AttemptReport) {
        // The entry leaves `running` only after its finish is queued, so a wind-down that sees no running attempts
        // knows the batcher holds every outcome.
        defer {
            state.withLock { _ = $0.running.removeValue(forKey: id) }
            slotFreed.notify()
        }
        let entry = state.withLock { state in state.running[id].map { ($0, state.cancelledForShutdown) } }
        entry?.0.timer?.cancel()
        guard let (running, shuttingDown) = entry, !running.leaseLost else { return }
        var outcome = report.outcome
        var message = report.message
        if outcome == .cancelled && running.timedOut && running.resolveBy != nil {
            // Tarantool's time_to_resolve: the attempt is lost, as the rescuer would find it.
            outcome = .lost
            message = "ran past its time_to_resolve of \(running.timeToResolve.formatted()) s (stopped by worker \(configuration.worker))"
        } else if outcome == .cancelled && running.timedOut {
            outcome = .timeout
            let limit = running.timeout.map { "\($0.formatted()) s" } ?? "its time limit"
            message = "stopped after running past its timeout of \(limit)" + (report.message.map { ": \($0)" } ?? "")
        } else if outcome == .cancelled && shuttingDown {
            outcome = .signaled
            message = "worker \(configuration.worker) shut down"
        }
        batcher.submit(
            Finish(
                lease: running.lease,
                outcome: outcome,
                result: report.result,
                message: message,
                jitterSample: random.jitterSample(),
                followUps: report.followUps,
                followUpsAreChildren: report.followUpsAreChildren
            )
        )
    }

    /// Waits up to the grace period for running attempts, then cancels the rest.
    private func windDown() async {
        var seen = slotFreed.generation
        while runningCount > 0, !Task.isCancelled {
            // Draining (a stop condition) waits for every attempt; a shutdown asked meanwhile starts the grace.
            let now = time.now
            let deadline = state.withLock { state in
                if state.draining { return Date.distantFuture }
                state.stopAskedAt = state.stopAskedAt ?? now
                return (state.stopAskedAt ?? now).addingTimeInterval(configuration.shutdownGrace)
            }
            guard time.now < deadline else { break }
            seen = await slotFreed.wait(beyond: seen, until: deadline, time: time)
        }
        let handles = state.withLock { state in
            state.cancelledForShutdown = true
            return state.running.values.map(\.handle)
        }
        if !handles.isEmpty { logger.notice("cancelling \(handles.count) running attempts at shutdown") }
        for handle in handles { handle.cancel() }
        for handle in handles { _ = await handle.value }
        while runningCount > 0 { seen = await slotFreed.wait(beyond: seen) }
        state.withLock { $0.finished = true }
        heartbeatBell.notify()
    }

    /// Extends the leases of running attempts once a third of their lease has passed (batching those a quarter
    /// through with them); cancels an attempt whose lease is gone (the task was cancelled, or rescued after this
    /// worker stalled). Sleeps until the earliest attempt needs its next heartbeat.
    private func heartbeatLoop() async {
        var seen = heartbeatBell.generation
        while !state.withLock({ $0.finished }), !Task.isCancelled {
            let now = time.now
            let due = state.withLock { state in
                state.running.values.filter { now.timeIntervalSince($0.lastHeartbeat) >= $0.timeToResolve / 4 }.map(\.lease)
            }
            let failed = due.isEmpty ? false : !(await beat(due, now: now))
            let next = state.withLock { state in
                var next =
                    state.running.values.map { $0.lastHeartbeat.addingTimeInterval($0.timeToResolve / 3) }.min()
                    ?? time.now.addingTimeInterval(5)
                // After a failed heartbeat (store unreachable) try again soon, but do not spin.
                if failed { next = max(next, time.now.addingTimeInterval(0.5)) }
                state.nextHeartbeatCheck = next
                return next
            }
            seen = await heartbeatBell.wait(beyond: seen, until: next, time: time)
        }
    }

    /// Sends one batch of heartbeats; returns whether the store answered.
    private func beat(_ due: [Lease], now: Date) async -> Bool {
        do {
            let held = Set(try await store.heartbeat(due, now: now))
            let lost = state.withLock { state -> [Task<AttemptReport, Never>] in
                var lost: [Task<AttemptReport, Never>] = []
                for lease in due {
                    guard var entry = state.running[lease.taskID] else { continue }
                    if held.contains(lease) {
                        entry.lastHeartbeat = now
                    } else {
                        entry.leaseLost = true
                        lost.append(entry.handle)
                    }
                    state.running[lease.taskID] = entry
                }
                return lost
            }
            if !lost.isEmpty { logger.notice("\(lost.count) leases are no longer held; cancelling those attempts") }
            for handle in lost { handle.cancel() }
            return true
        } catch {
            logger.error("heartbeat failed", metadata: ["errand.error": "\(error)"])
            return false
        }
    }
}
