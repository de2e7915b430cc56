import Errand
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// The scheduler runs the definitions kept in the store beside the file's, read every round.
@Suite(.timeLimit(.minutes(5))) struct StoredDefinitionSchedulerTests {
    @Test func aStoredDefinitionLaunchesLikeAFileOneAndTheFileWinsOnAName() async throws {
        try await SchedulerTests.with { store, time in
            let file = try SchedulerTests.periodical("shared", schedule: "*/2 * * * * *")
            let scheduler = Scheduler(store: store, definitions: [file], time: time)
            _ = try await store.putDefinition(
                "every_second",
                spec: #"{"kind":"periodical","func_name":"errand.echo","schedule":"@every 1s","args":{"n":1}}"#,
                replacing: false,
                now: time.now
            )
            // The same name as the file's: the file's definition stays in force.
            _ = try await store.putDefinition(
                "shared",
                spec: #"{"kind":"periodical","func_name":"other","schedule":"* * * * * *"}"#,
                replacing: false,
                now: time.now
            )
            #expect(try await scheduler.tick().launched.isEmpty, "nothing is due at the moment a definition is first seen")
            time.advance(by: 2)
            let launched = try await scheduler.tick().launched
            #expect(Set(launched.compactMap(\.module)) == ["every_second", "shared"])
            #expect(launched.first { $0.module == "shared" }?.handler == "h", "the file's definition is the one in force")
            #expect(launched.first { $0.module == "every_second" }?.arguments == #"{"n":1}"#)
            // A replaced spec applies from the next round; a deleted one launches no more.
            _ = try await store.putDefinition(
                "every_second",
                spec: #"{"kind":"periodical","func_name":"errand.sleep","schedule":"@every 1s"}"#,
                replacing: true,
                now: time.now
            )
            time.advance(by: 1)
            #expect(try await scheduler.tick().launched.map(\.handler) == ["errand.sleep"])
            #expect(try await store.deleteDefinition("every_second"))
            time.advance(by: 1)
            #expect(try await scheduler.tick().launched.map(\.module) == ["shared"])
        }
    }

    @Test func deletingAStoredContinuousDefinitionStopsItsInstance() async throws {
        try await SchedulerTests.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [], time: time)
            _ = try await store.putDefinition("pump", spec: #"{"kind":"continuous","func_name":"h"}"#, replacing: false, now: time.now)
            let started = try #require(try await scheduler.tick().launched.first)
            #expect(started.module == "pump")
            #expect(try await store.deleteDefinition("pump"))
            let report = try await scheduler.tick()
            #expect(report.stopped == [started.id])
            #expect(try await store.task(started.id)?.state == .cancelled)
            #expect(try await scheduler.tick().launched.isEmpty)
        }
    }

    @Test func aStoredSpecThisBuildCannotReadFailsAloneAndSaysWhy() async throws {
        try await SchedulerTests.with { store, time in
            let scheduler = Scheduler(store: store, definitions: [], time: time)
            _ = try await store.putDefinition(
                "future",
                spec: #"{"kind":"periodical","func_name":"h","schedule":"@hourly","shiny":1}"#,
                replacing: false,
                now: time.now
            )
            _ = try await store.putDefinition("pump", spec: #"{"kind":"continuous","func_name":"h"}"#, replacing: false, now: time.now)
            let report = try await scheduler.tick()
            #expect(report.launched.map(\.module) == ["pump"], "the other definitions still launch")
            let failure = try #require(report.failures["future"])
            #expect(failure.contains("tasks.future.shiny"), "\(failure)")
        }
    }
}
