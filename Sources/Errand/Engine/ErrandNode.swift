public import ErrandCore
public import ErrandStore
import Foundation
public import Logging
public import ServiceLifecycle

/// Settings of an ``ErrandNode``.
public struct NodeConfiguration: Sendable {
    public var dispatcher: DispatcherConfiguration
    /// Longest pause between rescue rounds, in seconds.
    public var rescueInterval: Double
    /// Seconds between janitor rounds.
    public var janitorInterval: Double
    /// Seconds a finished task (a root, with its tree) is kept before the janitor deletes it (7 days by default);
    /// ScyllaDB's `task_ttl`. The store's ``StoreSetting/taskTTL``, set at run time, takes precedence.
    public var finishedTaskTTL: Double
    /// The same for a task a user started (``TaskTreeFields/Values/isUserTask``); `finishedTaskTTL` when `nil`. The store's
    /// ``StoreSetting/userTaskTTL`` takes precedence.
    public var userTaskTTL: Double?
    /// Seconds after which the janitor moves a finished tree to the archive (tasques' `archive_older_than`); `nil`
    /// (the default): never.
    public var archiveOlderThan: Double?
    /// Attempts kept in the launch log per handler name (Tarantool's `task_log_max_size`, default 100).
    public var taskLogMaxSize: Int
    /// Whether this node stands for leader and then runs the rescuer, the janitor and the scheduler (`errand serve`);
    /// a node that only runs tasks (`errand worker --no-lead`) does not.
    public var leads: Bool
    /// Task definitions the scheduler runs while this node leads.
    public var definitions: [TaskDefinition]
    /// How the node appears in the worker registry.
    public var presence: WorkerPresenceConfiguration
    /// Where its counters and timers go (``ErrandMetrics/global`` by default).
    public var metrics: ErrandMetrics

    public init(
        dispatcher: DispatcherConfiguration = DispatcherConfiguration(),
        rescueInterval: Double = 1,
        janitorInterval: Double = 60,
        finishedTaskTTL: Double = 7 * 24 * 3600,
        userTaskTTL: Double? = nil,
        archiveOlderThan: Double? = nil,
        taskLogMaxSize: Int = 100,
        leads: Bool = true,
        definitions: [TaskDefinition] = [],
        presence: WorkerPresenceConfiguration = WorkerPresenceConfiguration(),
        metrics: ErrandMetrics = .global
    ) {
        self.metrics = metrics
        self.dispatcher = dispatcher
        self.rescueInterval = rescueInterval
        self.janitorInterval = janitorInterval
        self.finishedTaskTTL = finishedTaskTTL
        self.userTaskTTL = userTaskTTL
        self.archiveOlderThan = archiveOlderThan
        self.taskLogMaxSize = taskLogMaxSize
        self.leads = leads
        self.definitions = definitions
        self.presence = presence
    }
}

/// One running Errand: a dispatcher running in-process handlers and, when it stands for leader, a leader elector
/// with the leader-only rescuer, janitor and scheduler. Several nodes may share one store; exactly one leads.
///
/// Run it in a `ServiceGroup` (or call ``run()``); a graceful shutdown stops claiming, lets running attempts finish
/// within the grace period, and writes their outcomes before returning.
public final class ErrandNode: Service {
    public let dispatcher: Dispatcher
    public let rescuer: Rescuer
    public let janitor: Janitor
    /// Present when the node stands for leader.
    public let leader: LeaderElector?
    /// Runs the task definitions; present when the node stands for leader.
    public let scheduler: Scheduler?
    let presence: WorkerPresence

    /// This run's worker record id (a new one after each rejoin).
    public var workerID: String { presence.record.id }

    /// How many times the node rejoined the worker registry after the store found it lost and salvaged it (cut off
    /// from the store for longer than its heartbeat expiration).
    public var rejoins: Int { presence.rejoins }

    /// A node running the in-process handlers of `handlers`.
    public convenience init(
        store: any TaskStore,
        handlers: HandlerRegistry,
        configuration: NodeConfiguration = NodeConfiguration(),
        time: any TimeSource = SystemTimeSource(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger = Logger(label: "errand")
    ) {
        let runner = InProcessRunner(handlers: handlers, store: store, time: time)
        self.init(store: store, runner: runner, configuration: configuration, time: time, random: random, logger: logger)
    }

    /// A node whose attempts `runner` runs (in-process handlers, a child process per attempt, …).
    public init(
        store: any TaskStore,
        runner: any TaskRunner,
        configuration: NodeConfiguration = NodeConfiguration(),
        time: any TimeSource = SystemTimeSource(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger = Logger(label: "errand")
    ) {
        dispatcher = Dispatcher(
            store: store,
            runner: runner,
            configuration: configuration.dispatcher,
            time: time,
            random: random,
            logger: logger,
            metrics: configuration.metrics
        )
        let leader =
            configuration.leads ? LeaderElector(store: store, node: configuration.dispatcher.worker, time: time, logger: logger) : nil
        self.leader = leader
        presence = WorkerPresence(
            configuration: configuration.presence.declaring(handlers: runner.handlers, tags: configuration.dispatcher.tags),
            dispatcher: configuration.dispatcher,
            store: store,
            time: time,
            logger: logger
        )
        rescuer = Rescuer(
            store: store,
            time: time,
            interval: configuration.rescueInterval,
            logger: logger,
            leader: leader,
            salvager: configuration.presence.id,
            metrics: configuration.metrics
        )
        janitor = Janitor(
            store: store,
            time: time,
            finishedTaskTTL: configuration.finishedTaskTTL,
            userTaskTTL: configuration.userTaskTTL,
            archiveOlderThan: configuration.archiveOlderThan,
            taskLogMaxSize: configuration.taskLogMaxSize,
            interval: configuration.janitorInterval,
            logger: logger,
            leader: leader
        )
        scheduler = leader.map {
            Scheduler(store: store, definitions: configuration.definitions, time: time, logger: logger, leader: $0, metrics: configuration.metrics)
        }
    }

    public func run() async throws {
        // Waits out a store that does not answer yet; a shutdown meanwhile ends the node before it starts anything.
        guard await presence.register() else { return }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                if let leader {
                    group.addTask { try await leader.run() }
                    group.addTask { try await self.rescuer.run() }
                    group.addTask { try await self.janitor.run() }
                    if let scheduler = self.scheduler { group.addTask { try await scheduler.run() } }
                }
                group.addTask { await self.presence.heartbeat() }
                try await self.dispatcher.run()
                group.cancelAll()
            }
        } catch {
            await presence.end(failed: true)
            throw error
        }
        await presence.end(failed: false)
    }
}
