import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let leaderChecks: [StoreCheck] = [
        StoreCheck("one node at a time holds the leader lease until it expires") { store, time in
            func take(_ node: String) async throws -> Bool { try await store.acquireLeadership(node, ttl: 5, now: time.now) }
            let first = try await take("a")
            let blocked = try await take("b")
            #expect(first && !blocked)
            time.advance(by: 3)
            let renewed = try await take("a")
            time.advance(by: 4)
            // a renewed at +3, so its lease runs to +8: b still waits.
            let stillBlocked = try await take("b")
            #expect(renewed && !stillBlocked)
            time.advance(by: 1)
            let takenOver = try await take("b")
            let oldLeader = try await take("a")
            #expect(takenOver && !oldLeader)
            let holder = try await store.leader(now: time.now)
            #expect(holder == "b")
            time.advance(by: 5)
            let expired = try await store.leader(now: time.now)
            #expect(expired == nil)
        },
        StoreCheck("a released leader lease can be taken at once") { store, time in
            func take(_ node: String) async throws -> Bool { try await store.acquireLeadership(node, ttl: 60, now: time.now) }
            let first = try await take("a")
            try await store.releaseLeadership("b")
            let blocked = try await take("b")
            #expect(first && !blocked)
            try await store.releaseLeadership("a")
            let taken = try await take("b")
            #expect(taken)
        },
    ]
}
