import Errand
import ErrandCore
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// A dispatcher that stops on its own: `num_tasks`, `exit_on_empty`, `exit_on_suspend`.
@Suite(.timeLimit(.minutes(5))) struct StopConditionTests {
    /// Runs a dispatcher with `conditions` over a fresh store holding `count` echo tasks; returns once it stopped
    /// on its own.
    func run(
        _ conditions: StopConditions,
        tasks count: Int,
        capacity: Int = 2,
        _ between: (SQLiteTaskStore, ManualTimeSource) async throws -> Void = { _, _ in }
    ) async throws -> (StopReason?, [TaskState: Int]) {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("s.db").path)
            let time = ManualTimeSource()
            _ = try await store.enqueue((0..<count).map { NewTask(handler: "errand.echo", arguments: "[\($0)]") }, now: time.now)
            let dispatcher = Dispatcher(
                store: store,
                runner: InProcessRunner(handlers: .withBuiltins()),
                configuration: DispatcherConfiguration(worker: "w", capacity: capacity, stopWhen: conditions),
                time: time
            )
            let running = Task { try await dispatcher.run() }
            try await between(store, time)
            // The idle clock only moves when told to.
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    time.advance(by: 0.5)
                }
            }
            try await running.value
            ticker.cancel()
            let counts = try await store.statistics().first?.counts ?? [:]
            return (dispatcher.stopReason, counts)
        }
    }

    @Test func numTasksClaimsThatManyLetsThemFinishThenStops() async throws {
        let (reason, counts) = try await run(StopConditions(maxTasks: 5), tasks: 12)
        #expect(reason == .maxTasks(5))
        #expect(counts[.completed] == 5)
        #expect(counts[.pending] == 7)
    }

    @Test func exitOnEmptyStopsOnceNothingWaitsForTheGracePeriod() async throws {
        let (reason, counts) = try await run(StopConditions(idleFor: 3), tasks: 4)
        #expect(reason == .empty(3))
        #expect(counts[.completed] == 4)
    }

    @Test func exitOnSuspendStopsOnceItsQueueIsSuspended() async throws {
        let (reason, counts) = try await run(StopConditions(onSuspend: true), tasks: 0) { store, time in
            _ = try await store.setQueueState(QueueName.default, to: .suspended, now: time.now)
        }
        #expect(reason == .suspended)
        #expect(counts.isEmpty)
    }
}
