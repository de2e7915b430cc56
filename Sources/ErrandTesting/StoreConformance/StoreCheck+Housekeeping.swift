import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let housekeepingChecks: [StoreCheck] = [
        StoreCheck(client: "delete removes a finished root with its tree and attempts, and refuses anything else") { store, time in
            let root = try await store.add(NewTask(handler: "root"), now: time.now)
            let child = try await store.add(NewTask(handler: "child", parentID: root.id), now: time.now)
            let waiting = try await store.add(NewTask(handler: "waiting"), now: time.now)
            for handler in ["child", "root"] {
                let claimed = try #require(try await store.claim(ClaimRequest(handlers: [handler], worker: "w1", limit: 1, now: time.now)).first)
                _ = try await store.finishOne(claimed, .succeeded, now: time.now)
            }
            #expect(try await store.task(root.id)?.state == .completed)
            let refusals: [(TaskID, String)] = [(child.id, "a child of"), (waiting.id, "cancel it first")]
            for (id, reason) in refusals {
                do {
                    _ = try await store.delete(id)
                    Issue.record("deleted \(id)")
                } catch let error as StoreError {
                    #expect(error.code == .refused && error.message.contains(reason), "\(error)")
                }
            }
            #expect(try await store.delete(root.id) == 2)
            #expect(try await store.task(root.id) == nil)
            #expect(try await store.task(child.id) == nil)
            #expect(try await store.attempts(of: root.id).isEmpty)
            #expect(try await store.task(waiting.id)?.state == .pending, "another task was touched")
            await #expect(throws: StoreError.notFound(root.id)) { try await store.delete(root.id) }
        },
        StoreCheck("the launch log keeps the newest attempts of each handler") { store, time in
            _ = try await store.enqueue(
                (0..<4).map { _ in NewTask(handler: "busy") } + [NewTask(handler: "rare")],
                now: time.now
            )
            for task in try await store.claimAll(now: time.now) {
                time.advance(by: 1)
                _ = try await store.finishOne(task, .succeeded, now: time.now)
            }
            #expect(try await store.trimAttemptLog(maxPerHandler: 2) == 2)
            let busy = try await store.list(TaskQuery(handler: "busy")).tasks.sorted { $0.id < $1.id }
            var kept: [Int] = []
            for task in busy { kept.append(try await store.attempts(of: task.id).count) }
            #expect(kept == [0, 0, 1, 1])
            let rare = try #require(try await store.list(TaskQuery(handler: "rare")).tasks.first)
            #expect(try await store.attempts(of: rare.id).count == 1)
            #expect(try await store.trimAttemptLog(maxPerHandler: 2) == 0)
        },
        StoreCheck("prune deletes finished tasks older than the cut-off, nothing unfinished") { store, time in
            _ = try await store.enqueue((0..<3).map { _ in NewTask(handler: "h") }, now: time.now)
            let claimed = try await store.claimAll(now: time.now)
            _ = try await store.finishOne(claimed[0], .succeeded, now: time.now)
            time.advance(by: 100)
            _ = try await store.finishOne(claimed[1], .succeeded, now: time.now)
            let waiting = try await store.add(NewTask(handler: "h"), now: time.now)
            #expect(try await store.prune(finishedBefore: time.now.addingTimeInterval(-50), limit: 100) == 1)
            #expect(try await store.task(claimed[0].id) == nil)
            #expect(try await store.attempts(of: claimed[0].id).isEmpty)
            #expect(try await store.task(claimed[1].id) != nil)
            #expect(try await store.task(claimed[2].id)?.state == .running)
            #expect(try await store.task(waiting.id) != nil)
        },
        StoreCheck("prune takes at most its limit per call") { store, time in
            _ = try await store.enqueue((0..<5).map { _ in NewTask(handler: "h") }, now: time.now)
            for task in try await store.claimAll(now: time.now) { _ = try await store.finishOne(task, .succeeded, now: time.now) }
            time.advance(by: 10)
            #expect(try await store.prune(finishedBefore: time.now, limit: 2) == 2)
            #expect(try await store.prune(finishedBefore: time.now, limit: 10) == 3)
            #expect(try await store.list(TaskQuery()).tasks.isEmpty)
        },
        StoreCheck("archive moves old finished trees out of listings, readable by id and listed archived, keys free") { store, time in
            let old = try await store.add(NewTask(handler: "h", arguments: #"{"n":1}"#, queue: "default", idempotencyKey: "k-1"), now: time.now)
            let parent = try await store.add(NewTask(handler: "h"), now: time.now)
            var childTask = NewTask(handler: "h")
            childTask.parentID = parent.id
            let child = try await store.add(childTask, now: time.now)
            for task in try await store.claimAll(now: time.now) { _ = try await store.finishOne(task, .succeeded, now: time.now) }
            time.advance(by: 100)
            let recent = try await store.add(NewTask(handler: "h"), now: time.now)
            _ = try await store.finishOne(try #require(try await store.claimAll(now: time.now).first), .succeeded, now: time.now)
            let waiting = try await store.add(NewTask(handler: "h"), now: time.now)

            #expect(try await store.archive(finishedBefore: time.now.addingTimeInterval(-50), limit: 1) == 1, "the limit holds")
            #expect(try await store.archive(finishedBefore: time.now.addingTimeInterval(-50), limit: 100) == 2, "a tree moves whole")
            #expect(try await store.archive(finishedBefore: time.now.addingTimeInterval(-50), limit: 100) == 0)
            let live = try await store.list(TaskQuery()).tasks.map(\.id)
            #expect(Set(live) == [recent.id, waiting.id])
            let archived = try await store.list(TaskQuery(archived: true)).tasks
            #expect(Set(archived.map(\.id)) == [old.id, parent.id, child.id])
            #expect(try await store.count(TaskQuery(archived: true), upTo: 10) == 3)
            #expect(try await store.list(TaskQuery(handler: "h", rootsOnly: true, archived: true)).tasks.count == 2, "filters apply")
            let read = try #require(try await store.task(old.id))
            #expect(read.state == .completed && read.arguments == #"{"n":1}"# && read.idempotencyKey == "k-1")
            #expect(try await store.attempts(of: old.id).count == 1, "the attempts stay readable")
            #expect(try await store.task(child.id)?.parentID == parent.id)
            // The key is free: no live task holds it, so a new task with it is a new task.
            #expect(try await store.list(TaskQuery(queue: "default", idempotencyKey: "k-1")).tasks.isEmpty)
            #expect(try await store.enqueue([NewTask(handler: "h", idempotencyKey: "k-1")], now: time.now).first?.isNew == true)
            // The TTL deletes archived trees too, with their attempts; and an archived root can be deleted.
            #expect(try await store.delete(parent.id) == 2)
            #expect(try await store.task(child.id) == nil)
            time.advance(by: 1)
            #expect(try await store.prune(finishedBefore: time.now, limit: 100) == 2, "the archived one and the recent one")
            #expect(try await store.task(old.id) == nil)
            #expect(try await store.attempts(of: old.id).isEmpty)
            #expect(try await store.list(TaskQuery(archived: true)).tasks.isEmpty)
        },
    ]
}
