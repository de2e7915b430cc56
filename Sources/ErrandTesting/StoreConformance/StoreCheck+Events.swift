import ErrandCore
public import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let eventChecks: [StoreCheck] = [
        StoreCheck("every state change is recorded once, in order, from any write path") { store, time in
            let task = try await store.add(NewTask(handler: "h"), now: time.now)
            let claimed = try await store.claimOne(now: time.now)
            _ = try await store.finishOne(claimed, .failed, message: "boom", now: time.now)  // retried later: scheduled
            _ = try await store.cancel(task.id, reason: "enough", now: time.now)
            _ = try await store.retry(task.id, now: time.now)
            let changes = try await store.visibleStateChanges(after: nil, count: 5)
            let seen = changes.map { "\($0.from?.rawValue ?? "new")>\($0.to.rawValue)@\($0.attempt)" }
            #expect(seen == ["new>pending@0", "pending>running@1", "running>scheduled@1", "scheduled>cancelled@1", "cancelled>pending@1"])
            #expect(changes.allSatisfy { $0.taskID == task.id && $0.queue == "default" && $0.handler == "h" })
            #expect(Set(changes.map(\.cursor)).count == changes.count)
            // Reading on from the last cursor answers nothing new; a page of two continues where it stopped.
            #expect(try await store.stateChanges(after: changes.last?.cursor, limit: 100).isEmpty)
            let firstTwo = try await store.visibleStateChanges(after: nil, count: 2, limit: 2)
            let rest = try await store.stateChanges(after: firstTwo.last?.cursor, limit: 100)
            #expect((firstTwo + rest).map(\.cursor) == changes.map(\.cursor))
        },
        StoreCheck("a change carries the task: priority, retries left, worker, and its outcome on leaving running") { store, time in
            let retry = RetryPolicy(maxAttempts: 2, delay: 0, priorityDecrement: 3)
            let task = try await store.add(NewTask(handler: "h", priority: 2, retry: retry), now: time.now)
            let first = try await store.claimOne(worker: "node-a", now: time.now)
            _ = try await store.finishOne(first, .failed, message: "boom", now: time.now)
            let second = try await store.claimOne(worker: "node-b", now: time.now)
            let long = String(repeating: "x", count: StateChange.payloadCap + 1)
            _ = try await store.finishOne(second, .succeeded, result: #"{"ok":1}"#, message: long, now: time.now)
            let changes = try await store.visibleStateChanges(after: nil, count: 5)
            #expect(changes.map(\.to) == [.pending, .running, changes[2].to, .running, .completed] && TaskState.waiting.contains(changes[2].to))
            #expect(changes.map(\.priority) == [2, 2, 5, 5, 5], "a retry lowers the priority")
            #expect(changes.map(\.retriesLeft) == [2, 1, 1, 0, 0])
            #expect(changes.map(\.worker) == [nil, "node-a", "node-a", "node-b", "node-b"], "a finish names who ran it")
            #expect(changes[0].outcome == nil && changes[1].outcome == nil && changes[3].outcome == nil)
            #expect(changes[2].outcome == StateChange.Outcome(result: nil, message: "boom", error: "boom", truncated: false))
            let done = try #require(changes[4].outcome)
            #expect(done.result == #"{"ok":1}"# && done.truncated && done.message?.count == StateChange.payloadCap && done.error == "boom")
            #expect(changes.allSatisfy { $0.taskID == task.id })
            // A task that retries without limit has -1 retries left.
            _ = try await store.add(NewTask(handler: "forever", retry: RetryPolicy(maxAttempts: RetryPolicy.unlimited)), now: time.now)
            let more = try await store.visibleStateChanges(after: changes.last?.cursor, count: 1)
            #expect(more.map(\.retriesLeft) == [-1])
        },
        StoreCheck("a reader starting at the head sees the later changes (and at most the few just before)") { store, time in
            _ = try await store.add(NewTask(handler: "before"), now: time.now)
            let head = try await store.stateChangeHead()
            _ = try await store.enqueue([NewTask(handler: "after"), NewTask(handler: "after")], now: time.now)
            let later = try await store.visibleStateChanges(after: head, count: 2)
            // PostgreSQL's head may answer a change committed just before it was taken while an older transaction
            // of another client was still open; never one more, never one missed.
            #expect(later.suffix(2).map(\.handler) == ["after", "after"])
            #expect(later.count <= 3)
        },
        StoreCheck("a change that does not move the state is not recorded") { store, time in
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            let claimed = try await store.claimOne(now: time.now)
            _ = try await store.heartbeat([try #require(claimed.lease)], now: time.now.addingTimeInterval(1))
            _ = try await store.add(NewTask(handler: "marker"), now: time.now)
            let changes = try await store.visibleStateChanges(after: nil, count: 3)
            #expect(changes.map(\.handler) == ["h", "h", "marker"])
        },
        StoreCheck("pruning keeps the newest changes, and a cursor that is no event id is refused") { store, time in
            for _ in 0..<5 { _ = try await store.add(NewTask(handler: "h"), now: time.now) }
            let all = try await store.visibleStateChanges(after: nil, count: 5)
            #expect(all.count == 5)
            #expect(try await store.pruneStateChanges(keeping: 2) == 3)
            #expect(try await store.stateChanges(after: nil, limit: 100).map(\.cursor) == all.suffix(2).map(\.cursor))
            #expect(try await store.pruneStateChanges(keeping: 2) == 0)
            for bad in ["not a cursor", "1:2:3:4", "-5", "", "1::2"] {
                await #expect(throws: StoreError.self) { _ = try await store.stateChanges(after: bad, limit: 10) }
            }
            // Either store's shape is read (never skipping a change).
            for foreign in ["0", "0:0", "0:0:0"] {
                #expect(try await store.stateChanges(after: foreign, limit: 10).count == 2)
            }
        },
        StoreCheck("the changes of one write are kept or pruned together, and read in pages across them") { store, time in
            _ = try await store.add(NewTask(handler: "single"), now: time.now)
            _ = try await store.enqueue((0..<3).map { _ in NewTask(handler: "batch") }, now: time.now)
            let all = try await store.visibleStateChanges(after: nil, count: 4)
            #expect(all.map(\.handler) == ["single", "batch", "batch", "batch"])
            #expect(Set(all.map(\.cursor)).count == 4)
            // Two at a time: the second page starts inside the batch's write.
            let first = try await store.stateChanges(after: nil, limit: 2)
            let second = try await store.stateChanges(after: first.last?.cursor, limit: 2)
            #expect((first + second).map(\.cursor) == all.map(\.cursor))
            #expect(try await store.stateChanges(after: second.last?.cursor, limit: 2).isEmpty)
            // Keeping one keeps the whole batch (three); the single change goes.
            #expect(try await store.pruneStateChanges(keeping: 1) == 1)
            #expect(try await store.stateChanges(after: nil, limit: 10).map(\.cursor) == all.suffix(3).map(\.cursor))
            // The next change is numbered after the batch, never reusing a cursor.
            _ = try await store.add(NewTask(handler: "later"), now: time.now)
            let next = try await store.visibleStateChanges(after: all.last?.cursor, count: 1)
            #expect(next.map(\.handler) == ["later"])
        },
    ]
}

extension TaskStore {
    /// Reads changes until `count` are visible (at most 10 s): PostgreSQL shows a change only once every transaction
    /// older than it has ended, and other tests' transactions run beside this one.
    public func visibleStateChanges(after cursor: String?, count: Int, limit: Int = 100) async throws -> [StateChange] {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let changes = try await stateChanges(after: cursor, limit: limit)
            if changes.count >= count || Date() > deadline { return changes }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
