import ErrandCore
import ErrandStore
import Foundation
import Testing

@testable import ErrandPostgres

/// A store finishes the tasks it claimed from what the claim returned, without reading them again; a change made
/// meanwhile by another node must still win.
@Suite(.timeLimit(.minutes(5))) struct ClaimCacheTests {
    /// Runs `body` with one task claimed by `store`, and a second store on the same schema, as another node.
    private static func withClaimedTask(
        _ body: (_ store: PostgresTaskStore, _ other: PostgresTaskStore, _ task: TaskRecord, _ lease: Lease, _ now: Date) async throws -> Void
    ) async throws {
        try await PostgresFixture.withFreshStore { store in
            let now = Date().wholeMilliseconds
            _ = try await store.enqueue([NewTask(handler: "h")], now: now)
            let task = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
            let lease = try #require(task.lease)
            let other = try await PostgresTaskStore(configuration: store.configuration)
            defer { other.close() }
            try await other.withRunning { try await body(store, other, task, lease, now) }
        }
    }

    /// Finishes the lease as succeeded two seconds after `now`.
    private static func succeed(_ lease: Lease, on store: PostgresTaskStore, now: Date) async throws -> FinishResult {
        try #require(try await store.finish([Finish(lease: lease, outcome: .succeeded, result: "r")], now: now.addingTimeInterval(2)).first)
    }

    @Test func aFinishOfAClaimedTaskIsWrittenFromTheCacheAndAHeartbeatKeepsItCached() async throws {
        try await Self.withClaimedTask { store, _, task, lease, now in
            #expect(store.claims.count == 1)
            #expect(try await store.heartbeat([lease], now: now.addingTimeInterval(1)) == [lease])
            #expect(store.claims.count == 1, "a heartbeat dropped the task from the cache")
            guard case .applied(let done, _) = try await Self.succeed(lease, on: store, now: now) else {
                Issue.record("finish was not applied")
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
        try await Self.withClaimedTask { store, other, task, lease, now in
            _ = try await other.cancel(task.id, reason: "operator", now: now.addingTimeInterval(1))
            guard case .refused = try await Self.succeed(lease, on: store, now: now) else {
                Issue.record("a finish computed from the cached claim overwrote the cancel")
                return
            }
            let stored = try #require(try await store.task(task.id))
            #expect(stored.state == .cancelled)
            #expect(stored.message == "operator")
            #expect(try await store.attempts(of: task.id).map(\.outcome) == [.cancelled])
        }
    }

    @Test func aHeartbeatFromAnotherNodeDoesNotLoseTheFinish() async throws {
        try await Self.withClaimedTask { store, other, task, lease, now in
            // The row moves on under the cached version, with the lease still held.
            #expect(try await other.heartbeat([lease], now: now.addingTimeInterval(1)) == [lease])
            guard case .applied(let done, _) = try await Self.succeed(lease, on: store, now: now) else {
                Issue.record("finish was not applied")
                return
            }
            #expect(done.state == .completed)
            #expect(try await store.task(task.id) == done)
            #expect(try await store.attempts(of: task.id).count == 1)
        }
    }
}
