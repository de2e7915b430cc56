import ErrandCore
import ErrandStore
import Foundation
import PostgresNIO
import Testing

@testable import ErrandPostgres

/// Finishes are written without row locks, guarded by the row version they were computed from.
@Suite(.timeLimit(.minutes(5))) struct GuardedWriteTests {
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
