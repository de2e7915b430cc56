import Errand
import ErrandTesting
import Foundation
import Testing

@Suite struct JanitorTests {
    @Test func aRoundPrunesOldFinishedTasksAndCapsTheLaunchLog() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("j.db").path)
            let time = ManualTimeSource()
            let janitor = Janitor(store: store, time: time, finishedTaskTTL: 3600, taskLogMaxSize: 2)
            _ = try await store.enqueue((0..<4).map { _ in NewTask(handler: "h") }, now: time.now)
            for task in try await store.claim(ClaimRequest(worker: "w", limit: 10, now: time.now)) {
                let lease = try #require(task.lease)
                _ = try await store.finish([Finish(lease: lease, outcome: .succeeded)], now: time.now)
            }
            let fresh = try await store.enqueue([NewTask(handler: "h")], now: time.now)[0].task

            #expect(try await janitor.tick() == JanitorReport(pruned: 0, trimmedAttempts: 2))
            time.advance(by: 3601)
            #expect(try await janitor.tick() == JanitorReport(pruned: 4, trimmedAttempts: 0))
            #expect(try await store.list(TaskQuery()).tasks.map(\.id) == [fresh.id])
        }
    }
}
