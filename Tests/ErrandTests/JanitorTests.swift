import Errand
import ErrandSQLite
import ErrandTesting
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct JanitorTests {
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

    /// With `archive_older_than`, a round moves finished trees past it to the archive (out of the listing, still
    /// read by id), and the TTL later deletes them from there.
    @Test func aRoundArchivesFinishedTasksPastTheirAgeThenTheTTLDeletesThem() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("j.db").path)
            let time = ManualTimeSource()
            let janitor = Janitor(store: store, time: time, finishedTaskTTL: 3600, archiveOlderThan: 60, taskLogMaxSize: 100)
            _ = try await store.enqueue((0..<3).map { _ in NewTask(handler: "h") }, now: time.now)
            let done = try await store.claim(ClaimRequest(worker: "w", limit: 2, now: time.now))
            for task in done { _ = try await store.finish([Finish(lease: try #require(task.lease), outcome: .succeeded)], now: time.now) }

            #expect(try await janitor.tick().archived == 0)
            time.advance(by: 61)
            #expect(try await janitor.tick() == JanitorReport(pruned: 0, trimmedAttempts: 0, archived: 2))
            #expect(try await store.list(TaskQuery()).tasks.count == 1, "the waiting task stays")
            #expect(Set(try await store.list(TaskQuery(archived: true)).tasks.map(\.id)) == Set(done.map(\.id)))
            #expect(try await store.task(done[0].id)?.state == .completed)
            time.advance(by: 3600)
            #expect(try await janitor.tick() == JanitorReport(pruned: 2, trimmedAttempts: 0))
            #expect(try await store.list(TaskQuery(archived: true)).tasks.isEmpty)
        }
    }

    /// A finished root (with its tree) goes after the TTL, one a user started after the user TTL; `errand ttl set`
    /// (a store setting) changes both for every node from the next round; reading never deletes.
    @Test func finishedTreesExpireAfterTheirTTLAndTheTTLsCanBeChangedAtRunTime() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("j.db").path)
            let time = ManualTimeSource()
            let client = ErrandClient(store: store, time: time)
            let janitor = Janitor(store: store, time: time, finishedTaskTTL: 60, userTaskTTL: 600, taskLogMaxSize: 100)
            func finishedTree(user: Bool) async throws -> TaskID {
                let root = try await store.enqueue([NewTask(handler: "root", isUserTask: user)], now: time.now)[0].task
                let claimed = try await store.claim(ClaimRequest(worker: "w", limit: 1, now: time.now))
                _ = try await store.enqueue([NewTask(handler: "leaf", parentID: root.id, isInternal: true)], now: time.now)
                _ = try await store.finish([Finish(lease: try #require(claimed.first?.lease), outcome: .succeeded)], now: time.now)
                let leaf = try await store.claim(ClaimRequest(worker: "w", limit: 1, now: time.now))
                _ = try await store.finish([Finish(lease: try #require(leaf.first?.lease), outcome: .succeeded)], now: time.now)
                #expect(try await store.task(root.id)?.state == .completed)
                return root.id
            }
            let code = try await finishedTree(user: false)
            let user = try await finishedTree(user: true)

            time.advance(by: 59)
            #expect(try await janitor.tick().pruned == 0)
            #expect(try await client.recursiveStatus(of: code).count == 2, "reading does not delete")
            time.advance(by: 2)
            #expect(try await janitor.tick().pruned == 2)
            #expect(try await store.task(code) == nil)
            #expect(try await client.recursiveStatus(of: user).count == 2)
            time.advance(by: 540)
            #expect(try await janitor.tick().pruned == 2)
            #expect(try await store.task(user) == nil)

            // At run time: a shorter user TTL, then a longer TTL, for every node from the next round.
            let quick = try await finishedTree(user: true)
            let slow = try await finishedTree(user: false)
            try await store.setTTL(5, user: true, now: time.now)
            try await store.setTTL(3600, now: time.now)
            let ttls = try await janitor.currentTTLs()
            #expect(ttls.ttl == 3600 && ttls.userTTL == 5)
            #expect(try await store.ttl(user: true) == 5)
            time.advance(by: 6)
            #expect(try await janitor.tick().pruned == 2)
            #expect(try await store.task(quick) == nil)
            time.advance(by: 600)
            #expect(try await janitor.tick().pruned == 0)
            #expect(try await store.task(slow) != nil)
            let negative = await storeError { try await store.setTTL(-1, now: time.now) }
            #expect(negative?.code == .invalid)
        }
    }
}
