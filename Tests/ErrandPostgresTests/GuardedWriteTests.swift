import ErrandCore
import ErrandStore
import Foundation
import PostgresNIO
import Testing

@testable import ErrandPostgres

/// Finishes are written without row locks, guarded by the row version they were computed from.
@Suite struct GuardedWriteTests {
    @Test func aWriteComputedFromAStaleRowIsNotAppliedAndTheEventIsRedoneOnTheFreshRow() async throws {
        try await PostgresFixture.withFreshStore { store in
            let now = Date().wholeMilliseconds
            _ = try await store.enqueue([NewTask(handler: "errand.echo")], now: now)
            let claimed = try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now))
            let task = try #require(claimed.first)
            let lease = try #require(task.lease)
            let schema = store.configuration.schema
            func version() async throws -> String {
                let rows = try await store.rows(PostgresQuery(unsafeSQL: "SELECT xmin::text FROM \(schema).task"))
                return try #require(rows.first).decode(String.self)
            }
            let before = try await version()

            // A heartbeat lands between the read and the write: the row's version moves on.
            #expect(try await store.heartbeat([lease], now: now.addingTimeInterval(1)).count == 1)
            let finish = Finish(lease: lease, outcome: .succeeded, result: "1")
            let (_, changed, attempts) = PostgresTaskStore.transitions([(task.id, .finish(finish))], tasks: [task.id: task], now: now)
            let written = try await store.writeGuarded(changed, versions: [task.id: before], attempts: attempts)
            #expect(written.isEmpty, "a write computed from a stale row was applied")
            #expect(try await store.task(task.id)?.state == .running)
            #expect(try await store.attempts(of: task.id).isEmpty, "the attempt of an unwritten task was logged")

            // Through `finish`, the same event reads the fresh row and applies.
            let results = try await store.finish([finish], now: now.addingTimeInterval(2))
            guard case .applied(let done, _) = try #require(results.first) else {
                Issue.record("finish was not applied: \(results)")
                return
            }
            #expect(done.state == .completed)
            #expect(try await store.attempts(of: task.id).count == 1)
        }
    }
}

/// A store finishes the tasks it claimed from what the claim returned, without reading them again; a change made
/// meanwhile by another node must still win.
@Suite struct ClaimCacheTests {
    /// A second store on the same schema, as another node would have.
    private static func otherNode(of store: PostgresTaskStore) async throws -> PostgresTaskStore {
        try await PostgresTaskStore(configuration: store.configuration)
    }

    @Test func aFinishOfAClaimedTaskIsWrittenFromTheCacheAndAHeartbeatKeepsItCached() async throws {
        try await PostgresFixture.withFreshStore { store in
            let now = Date().wholeMilliseconds
            _ = try await store.enqueue([NewTask(handler: "h")], now: now)
            let task = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
            let lease = try #require(task.lease)
            #expect(store.claims.count == 1)
            #expect(try await store.heartbeat([lease], now: now.addingTimeInterval(1)) == [lease])
            #expect(store.claims.count == 1, "a heartbeat dropped the task from the cache")
            let results = try await store.finish([Finish(lease: lease, outcome: .succeeded, result: "r")], now: now.addingTimeInterval(2))
            guard case .applied(let done, _) = try #require(results.first) else {
                Issue.record("finish was not applied: \(results)")
                return
            }
            #expect(done.state == .completed)
            #expect(store.claims.count == 0)
            let stored = try #require(try await store.task(task.id))
            #expect(stored == done)
            #expect(stored.leaseExpiresAt == nil)
            #expect(try await store.attempts(of: task.id).map(\.outcome) == [.succeeded])
        }
    }

    @Test func aTaskCancelledByAnotherNodeAfterTheClaimStaysCancelled() async throws {
        try await PostgresFixture.withFreshStore { store in
            let now = Date().wholeMilliseconds
            _ = try await store.enqueue([NewTask(handler: "h")], now: now)
            let task = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
            let lease = try #require(task.lease)
            let other = try await Self.otherNode(of: store)
            defer { other.close() }
            _ = try await other.cancel(task.id, reason: "operator", now: now.addingTimeInterval(1))

            let results = try await store.finish([Finish(lease: lease, outcome: .succeeded, result: "r")], now: now.addingTimeInterval(2))
            guard case .refused = try #require(results.first) else {
                Issue.record("a finish computed from the cached claim overwrote the cancel: \(results)")
                return
            }
            let stored = try #require(try await store.task(task.id))
            #expect(stored.state == .cancelled)
            #expect(stored.message == "operator")
            #expect(try await store.attempts(of: task.id).map(\.outcome) == [.cancelled])
        }
    }

    @Test func aHeartbeatFromAnotherNodeDoesNotLoseTheFinish() async throws {
        try await PostgresFixture.withFreshStore { store in
            let now = Date().wholeMilliseconds
            _ = try await store.enqueue([NewTask(handler: "h")], now: now)
            let task = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
            let lease = try #require(task.lease)
            let other = try await Self.otherNode(of: store)
            defer { other.close() }
            // The row moves on under the cached version, with the lease still held.
            #expect(try await other.heartbeat([lease], now: now.addingTimeInterval(1)) == [lease])

            let results = try await store.finish([Finish(lease: lease, outcome: .succeeded, result: "r")], now: now.addingTimeInterval(2))
            guard case .applied(let done, _) = try #require(results.first) else {
                Issue.record("finish was not applied: \(results)")
                return
            }
            #expect(done.state == .completed)
            #expect(try await store.task(task.id) == done)
            #expect(try await store.attempts(of: task.id).count == 1)
        }
    }
}
