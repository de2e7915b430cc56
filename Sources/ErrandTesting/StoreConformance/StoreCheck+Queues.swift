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
