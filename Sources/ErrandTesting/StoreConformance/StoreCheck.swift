import ErrandCore
public import ErrandStore
import Foundation
public import Testing

/// One behaviour every ``TaskStore`` must have, runnable against any store; a client check (``isClientCheck``) needs
/// only a ``ClientStore``, so it runs against a remote server's API as well.
///
/// A store's test file runs them all, one test case each, on a fresh store per check:
/// ```swift
/// @Test(arguments: StoreCheck.all)
/// func sqliteStoreConforms(_ check: StoreCheck) async throws {
///     try await check.run(on: makeFreshStore(), time: ManualTimeSource())
/// }
/// ```
/// A client store runs ``clientChecks`` with ``run(onClient:time:)``. A new store is done when every check it can run
/// passes. Checks assume a fresh store holding only the `default` queue, and pass `time.now` as every `now`.
public struct StoreCheck: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    enum Body: Sendable {
        case client(@Sendable (any ClientStore, ManualTimeSource) async throws -> Void)
        case node(@Sendable (any TaskStore, ManualTimeSource) async throws -> Void)
    }

    /// The behaviour checked, as a sentence.
    public let name: String
    let body: Body

    /// A check that needs the whole store (a node's part of it too).
    init(_ name: String, _ body: @escaping @Sendable (any TaskStore, ManualTimeSource) async throws -> Void) {
        self.name = name
        self.body = .node(body)
    }

    /// A check that needs only what a client store offers.
    init(client name: String, _ body: @escaping @Sendable (any ClientStore, ManualTimeSource) async throws -> Void) {
        self.name = name
        self.body = .client(body)
    }

    public var testDescription: String { name }
    public var description: String { name }

    /// Whether the check needs only a ``ClientStore``.
    public var isClientCheck: Bool {
        if case .client = body { return true }
        return false
    }

    /// Runs the check against `store`, with `time` as the only clock.
    public func run(on store: some TaskStore, time: ManualTimeSource) async throws {
        switch body {
        case .client(let check): try await check(store, time)
        case .node(let check): try await check(store, time)
        }
    }

    /// Runs a client check against `store` (a remote server's API whose clock is `time`); a node check is recorded
    /// as an issue, as it cannot run there.
    public func run(onClient store: some ClientStore, time: ManualTimeSource) async throws {
        guard case .client(let check) = body else {
            Issue.record("\(name): a node check does not run on a client store")
            return
        }
        try await check(store, time)
    }

    /// Every check, in groups: enqueue, claim, finish, leases, queries, queues, housekeeping, leader, schedules,
    /// workers, events, trees.
    public static var all: [StoreCheck] {
        enqueueChecks + claimChecks + finishChecks + leaseChecks + queryChecks + queueChecks + housekeepingChecks + leaderChecks
            + scheduleChecks + workerChecks + eventChecks + treeChecks
    }

    /// The checks a ``ClientStore`` runs: those of ``all`` that need nothing more.
    public static var clientChecks: [StoreCheck] { all.filter(\.isClientCheck) }
}

// MARK: helpers shared by the checks

extension ClientStore {
    /// Enqueues one task and returns its record, failing the test when it was not newly created.
    func add(_ new: NewTask, now: Date, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskRecord {
        let results = try await enqueue([new], now: now)
        #expect(results.count == 1 && results[0].isNew, "expected a new task", sourceLocation: sourceLocation)
        return results[0].task
    }

    /// Claims everything due for `worker` (up to 100).
    func claimAll(worker: String = "w1", now: Date, queues: [String] = []) async throws -> [TaskRecord] {
        try await claim(ClaimRequest(queues: queues, worker: worker, limit: 100, now: now))
    }

    /// Claims exactly one task and fails the test otherwise.
    func claimOne(worker: String = "w1", now: Date, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskRecord {
        let claimed = try await claim(ClaimRequest(worker: worker, limit: 1, now: now))
        try #require(claimed.count == 1, "expected one claimable task", sourceLocation: sourceLocation)
        return claimed[0]
    }

    /// Finishes one attempt and returns the result.
    func finishOne(_ task: TaskRecord, _ outcome: AttemptOutcome, result: String? = nil, message: String? = nil, now: Date)
        async throws -> FinishResult
    {
        let lease = Lease(taskID: task.id, attempt: task.attempt, worker: task.worker ?? "w1")
        let results = try await finish([Finish(lease: lease, outcome: outcome, result: result, message: message)], now: now)
        return results[0]
    }

    /// The stored record, failing the test when it is missing.
    func stored(_ id: TaskID, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskRecord {
        try #require(try await task(id), "task \(id) is missing", sourceLocation: sourceLocation)
    }
}

extension FinishResult {
    /// Whether the finish was refused because of the lease or state.
    var isRefused: Bool {
        if case .refused = self { return true }
        return false
    }
}

/// Runs `body` and returns the ``StoreError`` it throws, recording a failure when it throws nothing or another error.
public func storeError(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> StoreError? {
    do {
        try await body()
        Issue.record("expected a StoreError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
