import Errand
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import MetricsTestKit
import Testing

/// The scheduler on a real SQLite store, with a manual clock.
@Suite(.timeLimit(.minutes(5))) struct SchedulerTests {
    static func periodical(_ name: String = "tick", schedule: String = "*/2 * * * * *", catchUp: TaskDefinition.CatchUp = .latest, skip: Bool = false)
        throws
        -> TaskDefinition
    {
        var definition = TaskDefinition(name: name, kind: .periodical, handler: "h", schedule: try CronSchedule(schedule))
        definition.catchUp = catchUp
        definition.skipIfOutstanding = skip
        return definition
    }

    /// Runs `body` with a fresh store and a manual clock (starting on an even second, a slot of `*/2`).
    static func with(_ body: (SQLiteTaskStore, ManualTimeSource) async throws -> Void) async throws {
        try await TemporaryDirectory.with { directory in
            try await body(try SQLiteTaskStore(path: directory.appendingPathComponent("s.db").path), ManualTimeSource())
        }
    }

    @Test func aPeriodicalDefinitionLaunchesEachSlotOnce() async throws {
        try await Self.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [try Self.periodical()], time: time)
            let first = try await scheduler.tick()
            #expect(first.launched.isEmpty, "a slot before the definition was first seen was launched")
            #expect(first.nextSlot == time.now.addingTimeInterval(2))
            time.advance(by: 2)
            let second = try await scheduler.tick()
            #expect(second.launched.count == 1)
            #expect(second.launched.first?.module == "tick")
            #expect(second.launched.first?.runAt == time.now, "a launch's run_at is its slot")
            #expect(try await scheduler.tick().launched.isEmpty, "a slot was launched twice")
            time.advance(by: 1)
            #expect(try await scheduler.tick().launched.isEmpty)
            time.advance(by: 1)
            #expect(try await scheduler.tick().launched.count == 1)
            #expect(try await store.list(TaskQuery(module: "tick")).tasks.count == 2)
        }
    }

    @Test func aDisabledDefinitionIsNotLaunchedUntilEnabledAgain() async throws {
        try await Self.with { store, time in
            var continuous = TaskDefinition(name: "keep", kind: .continuous, handler: "h")
            continuous.pauseSeconds = 0
            let scheduler = Scheduler(store: store, definitions: [try Self.periodical(catchUp: .none), continuous], time: time)
            try await store.setDefinitionEnabled("tick", false, now: time.now)
            try await store.setDefinitionEnabled("keep", false, now: time.now)
            _ = try await scheduler.tick()
            for _ in 0..<3 {
                time.advance(by: 2)
                #expect(try await scheduler.tick().launched.isEmpty, "a disabled definition was launched")
            }
            try await store.setDefinitionEnabled("tick", true, now: time.now)
            try await store.setDefinitionEnabled("keep", true, now: time.now)
            time.advance(by: 2)
            let launched = try await scheduler.tick().launched.compactMap(\.module).sorted()
            #expect(launched == ["keep", "tick"])
        }
    }

    @Test(arguments: [(TaskDefinition.CatchUp.latest, 2), (.all, 5), (.none, 1)])
    func missedSlotsFollowTheCatchUpPolicy(_ policy: TaskDefinition.CatchUp, _ expected: Int) async throws {
        try await Self.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [try Self.periodical(catchUp: policy)], time: time)
            _ = try await scheduler.tick()
            time.advance(by: 2)
            #expect(try await scheduler.tick().launched.count == 1)
            // Ten seconds with no leader: four slots missed, and the one due now.
            time.advance(by: 10)
            let report = try await scheduler.tick()
            #expect(report.launched.count == expected, "\(policy)")
            #expect(try await store.scheduleMark("tick") == time.now)
        }
    }

    @Test func anotherLeaderDoesNotLaunchASlotAgain() async throws {
        try await Self.with { store, time in
            let definition = try Self.periodical()
            let one = Scheduler(store: store, definitions: [definition], time: time)
            let other = Scheduler(store: store, definitions: [definition], time: time)
            _ = try await one.tick()
            _ = try await other.tick()
            time.advance(by: 2)
            #expect(try await one.tick().launched.count == 1)
            #expect(try await other.tick().launched.isEmpty)
            // A leader that took over late catches up from the mark, not from when it first looked.
            time.advance(by: 4)
            #expect(try await other.tick().launched.count == 2)
            #expect(try await one.tick().launched.isEmpty)
        }
    }

    @Test func skipIfOutstandingPassesOverSlotsWhileALaunchIsUnfinished() async throws {
        try await Self.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [try Self.periodical(skip: true)], time: time)
            _ = try await scheduler.tick()
            time.advance(by: 2)
            #expect(try await scheduler.tick().launched.count == 1)
            time.advance(by: 2)
            let report = try await scheduler.tick()
            #expect(report.launched.isEmpty)
            #expect(report.skipped == 1)
        }
    }

    @Test func aContinuousDefinitionKeepsOneInstanceAliveWithAPause() async throws {
        try await Self.with { store, time in
            let definition = TaskDefinition(name: "pump", kind: .continuous, handler: "h", pauseSeconds: 30)
            let scheduler = Scheduler(store: store, definitions: [definition], time: time)
            let first = try #require(try await scheduler.tick().launched.first)
            #expect(first.state == .pending)
            #expect(try await scheduler.tick().launched.isEmpty, "a second instance started while one was unfinished")
            let claimed = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: time.now)).first)
            time.advance(by: 5)
            _ = try await store.finish([Finish(lease: try #require(claimed.lease), outcome: .failed, message: "boom")], now: time.now)
            // Tarantool's default: one attempt, so the failed instance is final at once.
            #expect(try await store.task(first.id)?.state == .failed)
            let next = try #require(try await scheduler.tick().launched.first)
            #expect(next.id != first.id)
            #expect(next.runAt == time.now.addingTimeInterval(30))
            #expect(next.state == .scheduled)
            #expect(try await scheduler.tick().launched.isEmpty)
        }
    }

    @Test func removingAContinuousDefinitionStopsItsInstance() async throws {
        try await Self.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [TaskDefinition(name: "pump", kind: .continuous, handler: "h")], time: time)
            let instance = try #require(try await scheduler.tick().launched.first)
            scheduler.update([])
            let report = try await scheduler.tick()
            #expect(report.stopped == [instance.id])
            let stopped = try await store.task(instance.id)
            #expect(stopped?.state == .cancelled)
            #expect(try await scheduler.tick().launched.isEmpty)
        }
    }

    @Test func singleShotDefinitionsAreNotStartedByTheScheduler() async throws {
        try await Self.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [TaskDefinition(name: "flush", kind: .singleShot, handler: "h")], time: time)
            time.advance(by: 60)
            let report = try await scheduler.tick()
            let stored = try await store.list(TaskQuery())
            #expect(report.launched.isEmpty)
            #expect(stored.tasks.isEmpty)
        }
    }
}

/// One bad definition fails alone: the others launch, and it is logged once and counted every round.
@Suite(.timeLimit(.minutes(5))) struct SchedulerFailureTests {
    @Test func aDefinitionWhoseQueueIsMissingFailsAloneLoudlyAndOnce() async throws {
        try await SchedulerTests.with { store, time in
            var bad = try SchedulerTests.periodical("bad")
            bad.queue = "nowhere"
            let good = try SchedulerTests.periodical("good")
            let log = LogCapture()
            let metrics = TestMetrics()
            let scheduler = Scheduler(
                store: store,
                definitions: [bad, good],
                time: time,
                logger: log.logger,
                metrics: ErrandMetrics(factory: metrics)
            )
            _ = try await scheduler.tick()
            var launched = 0
            for round in 1...3 {
                time.advance(by: 2)
                let report = try await scheduler.tick()
                launched += report.launched.count
                #expect(report.launched.map(\.module) == ["good"], "round \(round)")
                #expect(report.failures["bad"]?.contains("queue \"nowhere\" does not exist") == true, "\(report.failures)")
            }
            #expect(launched == 3)
            let errors = log.messages.filter { $0.contains("task definition bad cannot launch") }
            #expect(errors.count == 1, "\(log.messages)")
            #expect(scheduler.failingDefinitions.keys.sorted() == ["bad"])
            let counter = try metrics.expectCounter("errand_definition_failures_total", [("definition", "bad")])
            #expect(counter.totalValue == 3, "one count per round that had a slot to launch")

            // Once its queue exists, it launches and says so.
            _ = try await store.createQueue("nowhere", now: time.now)
            time.advance(by: 2)
            let report = try await scheduler.tick()
            #expect(Set(report.launched.compactMap(\.module)) == ["good", "bad"])
            #expect(report.failures.isEmpty)
            #expect(log.messages.contains { $0.contains("task definition bad launches again") })
        }
    }
}
