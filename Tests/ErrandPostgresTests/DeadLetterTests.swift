import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import PostgresNIO
import Testing

@testable import ErrandPostgres

/// A row that cannot be read becomes a dead letter instead of failing every claim, and comes back once fixed.
@Suite(.timeLimit(.minutes(5))) struct DeadLetterTests {
    @Test func aCorruptRowBecomesADeadLetterAndCanBeRedrivenOnceFixed() async throws {
        try await PostgresFixture.withFreshStore { store in
            let now = Date().wholeMilliseconds
            let results = try await store.enqueue([NewTask(handler: "h", priority: 0), NewTask(handler: "h", priority: 1)], now: now)
            let broken = results[0].task
            let brokenID = try #require(broken.id.uuid)
            _ = try await store.rows("UPDATE \(unescaped: store.s).task SET tags = '{\"not\": \"a list\"}'::jsonb WHERE id = \(brokenID)")
            let claimed = try await store.claim(ClaimRequest(worker: "w", limit: 10, now: now))
            #expect(claimed.map(\.id) == [results[1].task.id])
            let letter = try #require(try await store.deadLetters(limit: 10).first)
            #expect(letter.queue == "default" && letter.error.contains("tags") && letter.body.contains("a list"))
            #expect(try await store.task(broken.id) == nil)
            let still = await storeError { _ = try await store.redrive(letter.id, body: nil, now: now) }
            #expect(still?.code == .invalid && still?.message.contains("still cannot be read") == true)
            #expect(try await store.deadLetters(limit: 10).count == 1)
            let badValue = await storeError {
                _ = try await store.redrive(
                    letter.id,
                    body: letter.body.replacingOccurrences(of: #""priority":0"#, with: #""priority":"high""#),
                    now: now
                )
            }
            #expect(badValue?.code == .invalid, "\(String(describing: badValue))")
            var columns = try #require(try JSONSerialization.jsonObject(with: Data(letter.body.utf8)) as? [String: Any])
            columns["tags"] = [String]()
            let fixed = String(decoding: try JSONSerialization.data(withJSONObject: columns), as: UTF8.self)
            let restored = try await store.redrive(letter.id, body: fixed, now: now)
            #expect(restored == broken)
            #expect(try await store.deadLetters(limit: 10).isEmpty)
            #expect(try await store.claim(ClaimRequest(worker: "w", limit: 10, now: now)).map(\.id) == [broken.id])
        }
    }
}
