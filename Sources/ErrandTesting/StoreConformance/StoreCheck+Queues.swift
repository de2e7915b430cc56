import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let queueChecks: [StoreCheck] = [
        StoreCheck(client: "a fresh store has the active default queue") { store, _ in
            let queues = try await store.queues()
            #expect(queues.map(\.name) == ["default"])
            #expect(queues.first?.state == .active)
        },
        StoreCheck(client: "queues are created, listed, suspended and resumed") { store, time in
            let created = try await store.createQueue("reports", now: time.now)
            #expect(created.state == .active && created.createdAt == time.now)
            time.advance(by: 1)
            let suspended = try await store.setQueueState("reports", to: .suspended, now: time.now)
            #expect(suspended.state == .suspended && suspended.updatedAt == time.now)
            #expect(try await store.queues().map(\.name) == ["default", "reports"])
            #expect(try await store.setQueueState("reports", to: .active, now: time.now).state == .active)
        },
        StoreCheck(client: "a queue's retry priority decrement goes to its tasks that set none, by every enqueue path") { store, time in
            let created = try await store.createQueue("riak", retryPriorityDecrement: 1, now: time.now)
            #expect(created.retryPriorityDecrement == 1)
            #expect(try await store.queues().first { $0.name == "riak" }?.retryPriorityDecrement == 1)
            #expect(try await store.queues().first { $0.name == "default" }?.retryPriorityDecrement == 0)
            for bad in [-1, 10] {
                let error = await storeError { _ = try await store.createQueue("bad\(bad)", retryPriorityDecrement: bad, now: time.now) }
                #expect(error?.code == .invalid && error?.message.contains("retry_priority_decrement") == true, "\(bad)")
            }
            let one = try await store.add(NewTask(handler: "first", queue: "riak", priority: 2), now: time.now)
            let own = try await store.add(NewTask(handler: "h", queue: "riak", retry: RetryPolicy(priorityDecrement: 3)), now: time.now)
            let plain = try await store.add(NewTask(handler: "h"), now: time.now)
            // A big batch (PostgreSQL copies it) and a small one (one statement) take it alike.
            let big = try await store.enqueue((0..<100).map { _ in NewTask(handler: "h", queue: "riak") }, now: time.now).map(\.task)
            #expect([one, own, plain].map(\.retry.priorityDecrement) == [1, 3, 0])
            #expect(big.allSatisfy { $0.retry.priorityDecrement == 1 })
            for task in [one, own, plain, big[0], big[99]] {
                #expect(try await store.task(task.id)?.retry.priorityDecrement == task.retry.priorityDecrement, "as answered, so stored")
            }
            // A retry lowers the priority by the queue's decrement.
            let claimed = try await store.claim(ClaimRequest(queues: ["riak"], handlers: ["first"], worker: "w1", limit: 1, now: time.now))
            #expect(claimed.map(\.id) == [one.id])
            _ = try await store.finishOne(try #require(claimed.first), .failed, message: "again", now: time.now)
            #expect(try await store.task(one.id)?.priority == 3)
        },
        StoreCheck(client: "queue errors name the queue") { store, time in
            _ = try await store.createQueue("dup", now: time.now)
            #expect(await storeError { _ = try await store.createQueue("dup", now: time.now) }?.code == .alreadyExists)
            #expect(await storeError { _ = try await store.createQueue("bad name!", now: time.now) }?.code == .invalid)
            let unknown = await storeError { _ = try await store.setQueueState("ghost", to: .suspended, now: time.now) }
            #expect(unknown?.code == .unknownQueue && unknown?.message.contains("ghost") == true)
            #expect(await storeError { _ = try await store.deleteQueue("ghost") }?.code == .unknownQueue)
        },
        StoreCheck(client: "deleting a queue deletes its tasks and attempts, and nothing else") { store, time in
            _ = try await store.createQueue("doomed", now: time.now)
            let keep = try await store.add(NewTask(handler: "h"), now: time.now)
            _ = try await store.enqueue((0..<3).map { _ in NewTask(handler: "h", queue: "doomed") }, now: time.now)
            let running = try await store.claimAll(now: time.now, queues: ["doomed"])
            _ = try await store.finishOne(running[0], .succeeded, now: time.now)
            #expect(try await store.deleteQueue("doomed") == 3)
            #expect(try await store.queues().map(\.name) == ["default"])
            #expect(try await store.list(TaskQuery()).tasks == [keep])
            #expect(try await store.attempts(of: running[0].id).isEmpty)
        },
    ]
}
