public import ErrandCore
public import ErrandStore
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// What one scheduler round did.
public struct SchedulerReport: Sendable, Hashable {
    /// Tasks started: periodical slots and continuous instances.
    public var launched: [TaskRecord] = []
    /// Periodical slots passed over because an earlier launch was unfinished (`skip_if_outstanding`).
    public var skipped = 0
    /// Unfinished instances of removed continuous definitions, cancelled.
    public var stopped: [TaskID] = []
    /// When the next periodical slot is due, if any.
    public var nextSlot: Date?
    /// Definitions that could not launch this round, with why (each fails alone: the others still launch).
    public var failures: [String: String] = [:]

    public init() {}
}

/// Runs the task definitions (leader only): enqueues each due slot of every periodical definition once, and keeps
/// one instance of every continuous definition alive, started `pause_sec` after the previous one ended.
///
/// Slots are enqueued through ``TaskStore/enqueueSlot(_:schedule:slot:skipIfOutstanding:now:)``, whose mark makes
/// every slot at most once whoever leads; a launch's `run_at` is its slot; a continuous instance carries the idempotency key
/// `errand.continuous:<name>`, so there is never a second one unfinished. Definitions can be replaced while running
/// (``update(_:)``); an instance of a continuous definition that was removed is cancelled. Besides the configuration
/// file's definitions it runs those kept in the store (``DefinitionStore``, created over the API), read every round;
/// where both have a name, the file's is the one in force.
public final class Scheduler: Service {
    private struct State {
        var definitions: [TaskDefinition]
        /// When this scheduler first saw each definition: no slot before it is missed (nothing was enqueued yet).
        var firstSeen: [String: Date] = [:]
        /// Continuous definitions removed since the last round, whose instance is to be stopped.
        var removedContinuous: Set<String> = []
        /// Definitions whose last round failed, with the message logged for it (logged again only when it changes).
        var failing: [String: String] = [:]
        /// The last failure of a whole round (the store unreachable), logged once until a round succeeds.
        var roundFailure: String?
        /// Definitions kept in the store, read by their spec text (a spec is parsed once, not every round).
        var stored: [String: (spec: String, definition: Result<TaskDefinition, InvalidField>)] = [:]
        /// The stored continuous definitions of the last round: one that is gone has its instance stopped.
        var storedContinuous: Set<String> = []
    }

    private let store: any TaskStore
    private let time: any TimeSource
    private let logger: Logger
    private let leader: LeaderElector?
    /// Longest sleep between rounds, in seconds: how soon a continuous instance that ended is replaced.
    private let pollInterval: Double
    private let state: Mutex<State>
    private let wake = ChangeSignal()
    private let metrics: ErrandMetrics

    /// - Parameter leader: rounds run only while it leads; `nil` means always (one process on SQLite).
    public init(
        store: any TaskStore,
        definitions: [TaskDefinition],
        time: any TimeSource = SystemTimeSource(),
        pollInterval: Double = 1,
        logger: Logger = Logger(label: "errand.scheduler"),
        leader: LeaderElector? = nil,
        metrics: ErrandMetrics = .global
    ) {
        self.metrics = metrics
        self.store = store
        self.time = time
        self.pollInterval = pollInterval
        self.logger = logger
        self.leader = leader
        state = Mutex(State(definitions: definitions))
    }

    /// The definitions in force.
    public var definitions: [TaskDefinition] { state.withLock { $0.definitions } }

    /// Replaces the definitions (live reconfiguration) and runs a round soon.
    public func update(_ definitions: [TaskDefinition]) {
        state.withLock { state in
            let kept = Set(definitions.map(\.name))
            for old in state.definitions where old.kind == .continuous {
                let now = definitions.first { $0.name == old.name }
                if !kept.contains(old.name) || now?.kind != .continuous { state.removedContinuous.insert(old.name) }
            }
            for new in definitions where new.kind == .continuous { state.removedContinuous.remove(new.name) }
            state.definitions = definitions
        }
        wake.notify()
    }

    /// One round at the time source's now.
    @discardableResult
    public func tick() async throws -> SchedulerReport {
        let now = time.now
        let stored = try await store.storedDefinitions()
        var report = SchedulerReport()
        let (definitions, removed, unreadable) = state.withLock { state in
            let (inForce, unreadable) = Self.read(stored, into: &state)
            for definition in inForce where state.firstSeen[definition.name] == nil {
                state.firstSeen[definition.name] = now
            }
            return (inForce, state.removedContinuous, unreadable)
        }
        for (name, problem) in unreadable {
            report.failures[name] = problem
            failed(name, because: problem)
        }
        let disabled = try await store.disabledDefinitions()
        for name in removed.sorted() {
            report.stopped += try await stopInstances(of: name, now: now)
            _ = state.withLock { $0.removedContinuous.remove(name) }
        }
        for definition in definitions where !disabled.contains(definition.name) {
            do {
                switch definition.kind {
                case .periodical: try await launchSlots(of: definition, now: now, into: &report)
                case .continuous: try await keepAlive(definition, now: now, into: &report)
                case .singleShot: break
                }
                recovered(definition.name)
            } catch let error as StoreError where error.code != .unavailable {
                // A problem of this definition (its queue is missing or suspended, its task is refused): it fails
                // alone, and the round goes on with the others.
                report.failures[definition.name] = error.message
                failed(definition.name, because: error.message)
            }
        }
        return report
    }

    /// The definitions in force: the configuration file's, then the store's whose names the file does not use (the
    /// file's win). Notes the stored continuous definitions that are gone, and answers the stored specs it cannot read.
    private static func read(_ stored: [StoredDefinition], into state: inout State) -> ([TaskDefinition], [String: String]) {
        var parsed: [String: (spec: String, definition: Result<TaskDefinition, InvalidField>)] = [:]
        for row in stored {
            if let known = state.stored[row.name], known.spec == row.spec {
                parsed[row.name] = known
            } else {
                parsed[row.name] = (row.spec, Result { () throws(InvalidField) in try TaskDefinition(name: row.name, specJSON: row.spec) })
            }
        }
        state.stored = parsed
        let fileNames = Set(state.definitions.map(\.name))
        var inForce = state.definitions
        var unreadable: [String: String] = [:]
        for name in parsed.keys.sorted() where !fileNames.contains(name) {
            switch parsed[name]?.definition {
            case .success(let definition)?: inForce.append(definition)
            case .failure(let problem)?: unreadable[name] = "its stored spec cannot be read: \(problem)"
            case nil: break
            }
        }
        let continuous = Set(inForce.filter { $0.kind == .continuous }.map(\.name))
        let storedContinuous = continuous.subtracting(state.definitions.filter { $0.kind == .continuous }.map(\.name))
        state.removedContinuous.formUnion(state.storedContinuous.subtracting(continuous))
        state.storedContinuous = storedContinuous
        return (inForce, unreadable)
    }

    /// Counts a failed launch of `name`, and logs it when it is new or its reason changed (not every round).
    private func failed(_ name: String, because reason: String) {
        metrics.definitionFailed(name)
        let isNew = state.withLock { state in
            defer { state.failing[name] = reason }
            return state.failing[name] != reason
        }
        if isNew {
            logger.error(
                "task definition \(name) cannot launch: \(reason); the other definitions go on, and this one is retried every round",
                metadata: ["errand.definition": "\(name)"]
            )
        }
    }

    private func recovered(_ name: String) {
        let was = state.withLock { $0.failing.removeValue(forKey: name) }
        if was != nil { logger.notice("task definition \(name) launches again", metadata: ["errand.definition": "\(name)"]) }
    }

    /// Definitions whose last round failed, with why.
    public var failingDefinitions: [String: String] { state.withLock { $0.failing } }

    private func launchSlots(of definition: TaskDefinition, now: Date, into report: inout SchedulerReport) async throws {
        let firstSeen = state.withLock { $0.firstSeen[definition.name] } ?? now
        let mark = try await store.scheduleMark(definition.name) ?? firstSeen
        for slot in definition.dueSlots(mark: mark, now: now) {
            let result = try await store.enqueueSlot(
                definition.newTask(runAt: slot),
                schedule: definition.name,
                slot: slot,
                skipIfOutstanding: definition.skipIfOutstanding,
                now: now
            )
            switch result {
            case .enqueued(let task):
                metrics.enqueued([.created(task)])
                report.launched.append(task)
                logger.debug("launched \(definition.name) for slot \(slot)", metadata: ["errand.task.id": "\(task.id)"])
            case .skippedOutstanding:
                report.skipped += 1
                logger.info("skipped slot \(slot) of \(definition.name): an earlier launch is unfinished")
            case .alreadyDone:
                break
            }
        }
        if let schedule = definition.schedule, let zone = TimeZone(identifier: definition.timeZone),
            let next = schedule.next(after: now, in: zone)
        {
            report.nextSlot = min(report.nextSlot ?? next, next)
        }
    }

    private func keepAlive(_ definition: TaskDefinition, now: Date, into report: inout SchedulerReport) async throws {
        let unfinished = try await store.list(TaskQuery(states: [.scheduled, .pending, .running], module: definition.name, limit: 1))
        guard unfinished.tasks.isEmpty else { return }
        let previous = try await store.list(TaskQuery(module: definition.name, limit: 1)).tasks.first
        let start = previous?.finishedAt.map { $0.addingTimeInterval(definition.pauseSeconds) }
        let results = try await store.enqueue(
            [definition.newTask(runAt: start.flatMap { $0 > now ? $0 : nil }, idempotencyKey: "errand.continuous:\(definition.name)")],
            now: now
        )
        metrics.enqueued(results)
        if let created = results.first, created.isNew {
            report.launched.append(created.task)
            logger.debug("started continuous \(definition.name)", metadata: ["errand.task.id": "\(created.task.id)"])
        }
    }

    private func stopInstances(of name: String, now: Date) async throws -> [TaskID] {
        var stopped: [TaskID] = []
        for task in try await store.list(TaskQuery(states: [.scheduled, .pending, .running], module: name, limit: 100)).tasks {
            do {
                _ = try await store.cancel(task.id, reason: "definition \(name) was removed", now: now)
                stopped.append(task.id)
            } catch let error as StoreError where error.code == .refused {
                continue  // it finished meanwhile
            }
        }
        if !stopped.isEmpty { logger.notice("stopped \(stopped.count) instance(s) of removed continuous task \(name)") }
        return stopped
    }

    /// Runs rounds while leading, sleeping until the next slot (at most `pollInterval`), until a graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var seen = self.wake.generation
            while !Task.isCancelled {
                var deadline = self.time.now.addingTimeInterval(self.pollInterval)
                // Every round reads the store's definitions (one small read a second on the leader), so that one
                // created on any node launches without a signal between nodes.
                if self.leader?.isLeader ?? true {
                    do {
                        let report = try await self.tick()
                        if let next = report.nextSlot { deadline = min(deadline, next) }
                        if self.state.withLock({ $0.roundFailure.take() }) != nil { self.logger.notice("scheduler rounds run again") }
                    } catch {
                        // Logged when it starts or changes, not every second of an outage.
                        let message = "\(error)"
                        let isNew = self.state.withLock { state in
                            defer { state.roundFailure = message }
                            return state.roundFailure != message
                        }
                        if isNew { self.logger.error("scheduler round failed; retrying every round", metadata: ["errand.error": "\(message)"]) }
                    }
                }
                seen = await self.wake.wait(beyond: seen, until: deadline, time: self.time)
            }
        }
    }
}
