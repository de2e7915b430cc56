import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let leaseChecks: [StoreCheck] = [
        StoreCheck("a task's meta is kept as given, replaced by a report of the lease holder, and kept by transitions") { store, time in
            let meta = #"{"context": {"user": 7}, "note": "é"}"#
            let added = try await store.add(NewTask(handler: "h", timeToResolve: 10, meta: meta), now: time.now)
            #expect(added.meta == meta)
            #expect(try await store.stored(added.id).meta == meta)
            let plain = try await store.add(NewTask(handler: "h"), now: time.now)
            #expect(try await store.stored(plain.id).meta == nil)
            let claimed = try #require(try await store.claimAll(now: time.now).first { $0.id == added.id })
            #expect(claimed.meta == meta)
            time.advance(by: 5)
            let report = #"{"context": {"user": 7}, "report": {"done": 1}}"#
            let lease = try #require(claimed.lease)
            let reported = try #require(try await store.report(lease, meta: report, now: time.now))
            #expect(reported.meta == report)
            #expect(reported.leaseExpiresAt == time.now.addingTimeInterval(10), "a report renews the lease")
            let stranger = Lease(taskID: claimed.id, attempt: claimed.attempt, worker: "someone-else")
            #expect(try await store.report(stranger, meta: "{}", now: time.now) == nil)
            _ = try await store.finish([Finish(lease: lease, outcome: .succeeded, result: "1")], now: time.now)
            let finished = try await store.stored(claimed.id)
            #expect(finished.state == .completed && finished.meta == report)
            #expect(try await store.report(lease, meta: "{}", now: time.now) == nil, "no report after the finish")
        },
        StoreCheck("a fixed lease (Tarantool's time_to_resolve) is kept, is not extended by heartbeats, and is rescued as lost") {
            store,
            time in
            // One alone and 300 in a batch: both insert paths of each store.
            let one = try await store.add(NewTask(handler: "h", timeToResolve: 10, fixedLease: true), now: time.now)
            let batch = try await store.enqueue((0..<300).map { _ in NewTask(handler: "b", fixedLease: true) }, now: time.now)
            #expect(try await store.stored(one.id).fixedLease)
            #expect(try await store.stored(try #require(batch.last?.task.id)).fixedLease)
            #expect(try await store.stored(try await store.add(NewTask(handler: "h"), now: time.now).id).fixedLease == false)
            let claimed = try #require(try await store.claimAll(now: time.now).first { $0.id == one.id })
            #expect(claimed.fixedLease)
            let end = try #require(claimed.leaseExpiresAt)
            time.advance(by: 6)
            let lease = try #require(claimed.lease)
            #expect(try await store.heartbeat([lease], now: time.now) == [lease], "the lease is still held")
            #expect(try await store.stored(one.id).leaseExpiresAt == end, "a heartbeat does not extend a fixed lease")
            time.advance(by: 5)
            _ = try await store.rescueExpiredLeases(now: time.now, limit: 1000)
            let attempts = try await store.attempts(of: one.id)
            #expect(attempts.last?.outcome == .lost)
            #expect(attempts.last?.message?.hasPrefix("ran past its time_to_resolve of 10 s") == true, "\(attempts)")
        },
        StoreCheck("a heartbeat extends only leases still held") { store, time in
            _ = try await store.enqueue([NewTask(handler: "h", timeToResolve: 10), NewTask(handler: "h", timeToResolve: 10)], now: time.now)
            let claimed = try await store.claimAll(now: time.now)
            time.advance(by: 6)
            let held = try #require(claimed[0].lease)
            let forged = Lease(taskID: claimed[1].id, attempt: 1, worker: "not-me")
            #expect(try await store.heartbeat([held, forged], now: time.now) == [held])
            #expect(try await store.stored(claimed[0].id).leaseExpiresAt == time.now.addingTimeInterval(10))
            #expect(try await store.stored(claimed[1].id).leaseExpiresAt == claimed[1].leaseExpiresAt)
            #expect(try await store.nextLeaseExpiry() == claimed[1].leaseExpiresAt)
        },
        StoreCheck("an expired lease is rescued as lost and retried by its policy") { store, time in
            _ = try await store.add(NewTask(handler: "h", retry: RetryPolicy(maxAttempts: 2, delay: 5), timeToResolve: 10), now: time.now)
            let task = try await store.claimOne(worker: "dies", now: time.now)
            time.advance(by: 9)
            #expect(try await store.rescueExpiredLeases(now: time.now, limit: 10).isEmpty)
            time.advance(by: 1)
            let rescued = try await store.rescueExpiredLeases(now: time.now, limit: 10)
            let next = try #require(rescued.first?.appliedTask)
            #expect(next.state == .scheduled && next.runAt == time.now.addingTimeInterval(5))
            let attempts = try await store.attempts(of: task.id)
            #expect(attempts.map(\.outcome) == [.lost] && attempts.first?.worker == "dies")
            #expect(try await store.finishOne(task, .succeeded, now: time.now).isRefused)
            time.advance(by: 5)
            let retry = try await store.claimOne(worker: "alive", now: time.now)
            time.advance(by: 10)
            let final = try await store.rescueExpiredLeases(now: time.now, limit: 10)
            #expect(final.first?.appliedTask?.state == .failed)
            #expect(retry.attempt == 2)
        },
        StoreCheck("the rescue takes at most its limit, oldest expiry first") { store, time in
            _ = try await store.add(NewTask(handler: "h", timeToResolve: 5), now: time.now)
            _ = try await store.add(NewTask(handler: "h", timeToResolve: 1), now: time.now)
            let claimed = try await store.claimAll(now: time.now)
            time.advance(by: 10)
            let first = try await store.rescueExpiredLeases(now: time.now, limit: 1)
            #expect(first.compactMap(\.appliedTask?.id) == [claimed[1].id])
            #expect(try await store.rescueExpiredLeases(now: time.now, limit: 1).compactMap(\.appliedTask?.id) == [claimed[0].id])
        },
        StoreCheck(client: "progress is recorded, with a longer lease, only for the lease holder") { store, time in
            _ = try await store.add(NewTask(handler: "h", timeToResolve: 30), now: time.now)
            let claimed = try await store.claimOne(now: time.now)
            let lease = try #require(claimed.lease)
            time.advance(by: 10)
            #expect(try await store.reportProgress(lease, completed: 3, total: 10, now: time.now))
            let reported = try await store.stored(claimed.id)
            #expect(reported.progressCompleted == 3)
            #expect(reported.progressTotal == 10)
            #expect(reported.leaseExpiresAt == time.now.addingTimeInterval(30))
            let stranger = Lease(taskID: claimed.id, attempt: lease.attempt, worker: "someone-else")
            #expect(try await store.reportProgress(stranger, completed: 9, total: nil, now: time.now) == false)
            #expect(try await store.stored(claimed.id).progressCompleted == 3)
            #expect(try await store.reportProgress(lease, completed: 4, total: nil, now: time.now))
            let open = try await store.stored(claimed.id)
            #expect(open.progressCompleted == 4 && open.progressTotal == nil)
        },
    ]
}
