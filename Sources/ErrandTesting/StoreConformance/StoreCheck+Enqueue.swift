import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let enqueueChecks: [StoreCheck] = [
        StoreCheck("enqueue stores a pending task that get returns unchanged") { store, time in
            let task = try await store.add(NewTask(handler: "mail.send", arguments: #"{"to":"a@b.c"}"#, tags: ["x", "y"]), now: time.now)
            #expect(task.state == .pending)
            #expect(task.runAt == time.now)
            #expect(task.attempt == 0)
            #expect(try await store.stored(task.id) == task)
        },
        StoreCheck("enqueue with a future run_at stores a scheduled task") { store, time in
            let task = try await store.add(NewTask(handler: "h", runAt: time.now.addingTimeInterval(30)), now: time.now)
            #expect(task.state == .scheduled)
            #expect(task.runAt == time.now.addingTimeInterval(30))
        },
        StoreCheck("a batch is stored with increasing ids in order") { store, time in
            let results = try await store.enqueue((0..<50).map { NewTask(handler: "h", arguments: "\($0)") }, now: time.now)
            #expect(results.count == 50)
            #expect(results.map(\.task.arguments) == (0..<50).map { "\($0)" })
            #expect(results.map(\.task.id) == results.map(\.task.id).sorted())
        },
        StoreCheck("a batch naming an unknown queue stores nothing") { store, time in
            let batch = [NewTask(handler: "h"), NewTask(handler: "h", queue: "nope"), NewTask(handler: "h")]
            let error = await storeError { _ = try await store.enqueue(batch, now: time.now) }
            #expect(error?.code == .unknownQueue)
            #expect(error?.message.contains("nope") == true)
            let stored = try await store.list(TaskQuery()).tasks
            #expect(stored.isEmpty)
        },
        StoreCheck("enqueue into a suspended queue is refused") { store, time in
            _ = try await store.createQueue("paused", now: time.now)
            _ = try await store.setQueueState("paused", to: .suspended, now: time.now)
            let error = await storeError { _ = try await store.enqueue([NewTask(handler: "h", queue: "paused")], now: time.now) }
            #expect(error?.code == .queueSuspended)
        },
        StoreCheck("an invalid task is refused with the field named and nothing stored") { store, time in
            let before = try await store.add(NewTask(handler: "h"), now: time.now)
            let error = await storeError {
                _ = try await store.enqueue([NewTask(handler: "h"), NewTask(handler: "h", priority: 42)], now: time.now)
            }
            #expect(error?.code == .invalid)
            #expect(error?.message.contains("priority") == true)
            let bad = await storeError { _ = try await store.enqueue([NewTask(handler: "h", arguments: "{x")], now: time.now) }
            #expect(bad?.message.contains("arguments") == true)
            #expect(try await store.list(TaskQuery()).tasks == [before])
        },
        StoreCheck("an idempotency key in use by an unfinished task returns that task") { store, time in
            let first = try await store.add(NewTask(handler: "h", idempotencyKey: "k"), now: time.now)
            let again = try await store.enqueue([NewTask(handler: "h", arguments: "2", idempotencyKey: "k")], now: time.now)
            #expect(again == [.existing(first)])
            _ = try await store.createQueue("other", now: time.now)
            let elsewhere = try await store.enqueue([NewTask(handler: "h", queue: "other", idempotencyKey: "k")], now: time.now)
            #expect(elsewhere[0].isNew)
            let claimed = try await store.claimAll(now: time.now, queues: ["default"])
            #expect(try await store.enqueue([NewTask(handler: "h", idempotencyKey: "k")], now: time.now) == [.existing(claimed[0])])
            _ = try await store.finishOne(claimed[0], .succeeded, now: time.now)
            let afterFinish = try await store.enqueue([NewTask(handler: "h", idempotencyKey: "k")], now: time.now)
            #expect(afterFinish[0].isNew)
        },
        StoreCheck("a key repeated inside one batch resolves to the batch's first task") { store, time in
            let results = try await store.enqueue(
                [NewTask(handler: "h", arguments: "1", idempotencyKey: "k"), NewTask(handler: "h", arguments: "2", idempotencyKey: "k")],
                now: time.now
            )
            #expect(results[0].isNew)
            #expect(results[1] == .existing(results[0].task))
        },
        StoreCheck("a child task records its parent and its tree's root") { store, time in
            let root = try await store.add(NewTask(handler: "h"), now: time.now)
            let child = try await store.add(NewTask(handler: "h", parentID: root.id), now: time.now)
            let grandchild = try await store.add(NewTask(handler: "h", parentID: child.id), now: time.now)
            #expect(root.rootID == nil)
            #expect(child.parentID == root.id && child.rootID == root.id)
            #expect(grandchild.parentID == child.id && grandchild.rootID == root.id)
            let missing = TaskIDGenerator().next(now: time.now)
            let error = await storeError { _ = try await store.enqueue([NewTask(handler: "h", parentID: missing)], now: time.now) }
            #expect(error?.code == .invalid)
        },
        StoreCheck("enqueue signals a change") { store, time in
            let signal = store.changes()
            let before = signal.generation
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            #expect(signal.generation > before)
        },
    ]
}
