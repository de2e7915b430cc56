import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let enqueueChecks: [StoreCheck] = [
        StoreCheck(client: "enqueue stores a pending task that get returns unchanged") { store, time in
            let task = try await store.add(NewTask(handler: "mail.send", arguments: #"{"to":"a@b.c"}"#, tags: ["x", "y"]), now: time.now)
            #expect(task.state == .pending)
            #expect(task.runAt == time.now)
            #expect(task.attempt == 0)
            #expect(try await store.stored(task.id) == task)
        },
        StoreCheck(client: "enqueue with a future run_at stores a scheduled task") { store, time in
            let task = try await store.add(NewTask(handler: "h", runAt: time.now.addingTimeInterval(30)), now: time.now)
            #expect(task.state == .scheduled)
            #expect(task.runAt == time.now.addingTimeInterval(30))
        },
        StoreCheck(client: "a batch is stored with increasing ids in order") { store, time in
            let results = try await store.enqueue((0..<50).map { NewTask(handler: "h", arguments: "\($0)") }, now: time.now)
            #expect(results.count == 50)
            #expect(results.map(\.task.arguments) == (0..<50).map { "\($0)" })
            #expect(results.map(\.task.id) == results.map(\.task.id).sorted())
        },
        StoreCheck(client: "a big batch with every field set is stored exactly as returned") { store, time in
            // Big enough for a store's bulk path (PostgreSQL: COPY), with text that formats must escape.
            let parent = try await store.add(NewTask(handler: "parent"), now: time.now)
            let arguments = "{\"s\": \"tab\\tquote\\\" back\\\\slash \\u00e9 é 日本 🚀\",\n\t\"n\": [1, 2.5, null]}"
            let retry = RetryPolicy(maxAttempts: 4, delay: 0.5, delayFactor: 1.5, maxDelay: 90.125, jitter: 0.1, priorityDecrement: 1)
            let tags: [String] = ["a\"b", "c\\d", "tab\tx", "日本"]
            var batch: [NewTask] = []
            for index in 0..<300 {
                let offset = Double(index % 3) * 10.25
                var task = NewTask(handler: "report.build", arguments: arguments, priority: index % 10)
                // One long past (before 1970), one far ahead: times at the edges of what formats handle.
                task.runAt = index == 1 ? Date(timeIntervalSince1970: -86_400.5) : time.now.addingTimeInterval(offset)
                if index == 3 { task.runAt = Date(timeIntervalSince1970: 4_102_444_800.25) }
                task.retry = retry
                task.timeToResolve = 12.345
                task.idempotencyKey = index % 7 == 0 ? "key \t\(index)" : nil
                task.parentID = index % 2 == 0 ? parent.id : nil
                task.module = "mod\\ule\tname\n\(index)"
                task.isInternal = index % 5 == 0
                task.tags = index % 4 == 0 ? [] : tags
                batch.append(task)
            }
            let results = try await store.enqueue(batch, now: time.now)
            #expect(results.count == 300)
            #expect(results.filter(\.isNew).count == 300)
            for (new, result) in zip(batch, results) {
                let task = result.task
                #expect(task.arguments == new.arguments)
                #expect(task.module == new.module)
                #expect(task.tags == new.tags)
                #expect(task.rootID == (new.parentID == nil ? nil : parent.id))
                #expect(try await store.stored(task.id) == task)
            }
        },
        StoreCheck(client: "a batch naming an unknown queue stores nothing") { store, time in
            let batch = [NewTask(handler: "h"), NewTask(handler: "h", queue: "nope"), NewTask(handler: "h")]
            let error = await storeError { _ = try await store.enqueue(batch, now: time.now) }
            #expect(error?.code == .unknownQueue)
            #expect(error?.message.contains("nope") == true)
            let stored = try await store.list(TaskQuery()).tasks
            #expect(stored.isEmpty)
        },
        StoreCheck(client: "enqueue into a suspended queue is refused") { store, time in
            _ = try await store.createQueue("paused", now: time.now)
            _ = try await store.setQueueState("paused", to: .suspended, now: time.now)
            let error = await storeError { _ = try await store.enqueue([NewTask(handler: "h", queue: "paused")], now: time.now) }
            #expect(error?.code == .queueSuspended)
        },
        StoreCheck(client: "enqueue into suspended queues when asked: stored, claimed only once the queue resumes") { store, time in
            _ = try await store.createQueue("paused", now: time.now)
            _ = try await store.setQueueState("paused", to: .suspended, now: time.now)
            // A small batch and a large one: the stores take different paths by size.
            let small = try await store.enqueue([NewTask(handler: "h", queue: "paused")], now: time.now, intoSuspendedQueues: true)
            let large = try await store.enqueue(
                (0..<300).map { _ in NewTask(handler: "h", queue: "paused") },
                now: time.now,
                intoSuspendedQueues: true
            )
            #expect(small.allSatisfy(\.isNew) && large.count == 300 && large.allSatisfy(\.isNew))
            #expect(try await store.claim(ClaimRequest(queues: ["paused"], worker: "w", limit: 10, now: time.now)).isEmpty)
            let unknown = await storeError {
                _ = try await store.enqueue([NewTask(handler: "h", queue: "nowhere")], now: time.now, intoSuspendedQueues: true)
            }
            #expect(unknown?.code == .unknownQueue, "a queue that does not exist still does not take tasks")
            _ = try await store.setQueueState("paused", to: .active, now: time.now)
            #expect(try await store.claim(ClaimRequest(queues: ["paused"], worker: "w", limit: 1000, now: time.now)).count == 301)
        },
        StoreCheck(client: "an invalid task is refused with the field named and nothing stored") { store, time in
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
        StoreCheck(client: "an idempotency key in use by an unfinished task returns that task") { store, time in
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
        StoreCheck(client: "a key repeated inside one batch resolves to the batch's first task") { store, time in
            let results = try await store.enqueue(
                [NewTask(handler: "h", arguments: "1", idempotencyKey: "k"), NewTask(handler: "h", arguments: "2", idempotencyKey: "k")],
                now: time.now
            )
            #expect(results[0].isNew)
            #expect(results[1] == .existing(results[0].task))
        },
        StoreCheck(client: "a child task records its parent and its tree's root") { store, time in
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
