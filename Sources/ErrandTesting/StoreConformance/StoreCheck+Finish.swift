import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let finishChecks: [StoreCheck] = [
        StoreCheck(client: "a successful finish completes the task and logs the attempt") { store, time in
            _ = try await store.add(NewTask(handler: "h", arguments: "[1]"), now: time.now)
            let task = try await store.claimOne(now: time.now)
            time.advance(by: 2)
            let result = try await store.finishOne(task, .succeeded, result: #"{"ok":true}"#, message: "done", now: time.now)
            let done = try #require(result.appliedTask)
            #expect(done.state == .completed)
            #expect(done.result == #"{"ok":true}"#)
            #expect(done.finishedAt == time.now)
            #expect(done.worker == nil && done.leaseExpiresAt == nil)
            #expect(try await store.stored(task.id) == done)
            let attempts = try await store.attempts(of: task.id)
            #expect(attempts.count == 1)
            #expect(attempts.first?.outcome == .succeeded)
            #expect(attempts.first?.number == 1)
            #expect(attempts.first?.worker == "w1")
            #expect(attempts.first?.startedAt == task.startedAt)
            #expect(attempts.first?.finishedAt == time.now)
            #expect(attempts.first?.result == #"{"ok":true}"#)
        },
        StoreCheck(client: "a failed attempt is retried after the policy's delay, then fails for good") { store, time in
            let policy = RetryPolicy(maxAttempts: 3, delay: 8, delayFactor: 1.5)
            let added = try await store.add(NewTask(handler: "h", retry: policy), now: time.now)
            var waits: [Double] = []
            for _ in 0..<2 {
                let task = try await store.claimOne(now: time.now)
                let next = try #require(try await store.finishOne(task, .failed, message: "boom", now: time.now).appliedTask)
                #expect(next.state == .scheduled)
                #expect(next.lastError == "boom")
                waits.append(next.runAt.timeIntervalSince(time.now))
                #expect(try await store.claimAll(now: time.now).isEmpty)
                time.advance(by: next.runAt.timeIntervalSince(time.now))
            }
            #expect(waits == [8, 12])
            let last = try await store.claimOne(now: time.now)
            #expect(last.attempt == 3)
            let failed = try #require(try await store.finishOne(last, .timeout, message: "too slow", now: time.now).appliedTask)
            #expect(failed.state == .failed)
            #expect(failed.finishedAt == time.now)
            #expect(try await store.attempts(of: added.id).map(\.outcome) == [.failed, .failed, .timeout])
        },
        StoreCheck(client: "follow-ups are stored with an applied finish, as its children, and never with a refused one") { store, time in
            let root = try await store.add(NewTask(handler: "h", name: "root"), now: time.now)
            let task = try await store.claimOne(now: time.now)
            let followUps = [
                NewTask(handler: "next", arguments: #""a""#, name: "first", timeout: 5),
                NewTask(handler: "next", arguments: #""b""#, retry: RetryPolicy(maxAttempts: RetryPolicy.unlimited)),
            ]
            let late = Finish(lease: Lease(taskID: task.id, attempt: task.attempt, worker: "intruder"), outcome: .succeeded, followUps: followUps)
            #expect(try await store.finish([late], now: time.now).first?.isRefused == true)
            #expect(try await store.list(TaskQuery(parentID: root.id)).tasks.isEmpty)
            let finish = Finish(lease: try #require(task.lease), outcome: .failed, message: "made more", followUps: followUps)
            let done = try #require(try await store.finish([finish], now: time.now).first?.appliedTask)
            #expect(done.state == .scheduled || done.state == .failed)
            let children = try await store.list(TaskQuery(parentID: root.id)).tasks.sorted { $0.id < $1.id }
            #expect(children.map(\.arguments) == [#""a""#, #""b""#])
            #expect(children.allSatisfy { $0.rootID == root.id && $0.parentID == root.id && $0.state == .pending })
            #expect(children.first?.name == "first" && children.first?.timeout == 5)
            #expect(children.last?.retry.maxAttempts == RetryPolicy.unlimited)
            #expect(try await store.task(root.id)?.name == "root")
        },
        StoreCheck(client: "a finish from a worker that does not hold the lease is refused") { store, time in
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            let task = try await store.claimOne(worker: "owner", now: time.now)
            let intruder = Finish(lease: Lease(taskID: task.id, attempt: task.attempt, worker: "intruder"), outcome: .succeeded)
            let wrongAttempt = Finish(lease: Lease(taskID: task.id, attempt: 7, worker: "owner"), outcome: .succeeded)
            let results = try await store.finish([intruder, wrongAttempt], now: time.now)
            #expect(results.filter(\.isRefused).count == 2)
            #expect(try await store.stored(task.id) == task)
            #expect(try await store.attempts(of: task.id).isEmpty)
        },
        StoreCheck(client: "a batch of finishes applies each one that holds its lease") { store, time in
            _ = try await store.enqueue((0..<3).map { _ in NewTask(handler: "h") }, now: time.now)
            let claimed = try await store.claimAll(now: time.now)
            let missing = TaskIDGenerator().next(now: time.now)
            let finishes = [
                Finish(lease: try #require(claimed[0].lease), outcome: .succeeded),
                Finish(lease: Lease(taskID: claimed[1].id, attempt: 1, worker: "someone else"), outcome: .succeeded),
                Finish(lease: Lease(taskID: missing, attempt: 1, worker: "w1"), outcome: .succeeded),
                Finish(lease: try #require(claimed[2].lease), outcome: .failed, message: "x"),
            ]
            let results = try await store.finish(finishes, now: time.now)
            #expect(results[0].appliedTask?.state == .completed)
            #expect(results[1].isRefused)
            #expect(results[2] == .notFound(missing))
            #expect(results[3].appliedTask?.state == .scheduled)
            #expect(try await store.stored(claimed[1].id).state == .running)
        },
        StoreCheck(client: "a signaled attempt gives its attempt back and waits no delay") { store, time in
            _ = try await store.add(NewTask(handler: "h", retry: RetryPolicy(maxAttempts: 1)), now: time.now)
            let task = try await store.claimOne(now: time.now)
            let back = try #require(try await store.finishOne(task, .signaled, message: "shutdown", now: time.now).appliedTask)
            #expect(back.state == .pending)
            #expect(back.chargedAttempts == 0)
            let again = try await store.claimOne(now: time.now)
            #expect(again.attempt == 2 && again.chargedAttempts == 1)
            #expect(try await store.attempts(of: task.id).map(\.outcome) == [.signaled])
        },
        StoreCheck(client: "cancel stops a waiting or running task, and a cancelled task's late finish is refused") { store, time in
            let waiting = try await store.add(NewTask(handler: "h", runAt: time.now.addingTimeInterval(60)), now: time.now)
            let cancelled = try await store.cancel(waiting.id, reason: "not needed", now: time.now)
            #expect(cancelled.state == .cancelled && cancelled.message == "not needed")
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            let running = try await store.claimOne(now: time.now)
            #expect(try await store.cancel(running.id, reason: nil, now: time.now).state == .cancelled)
            #expect(try await store.finishOne(running, .succeeded, now: time.now).isRefused)
            #expect(try await store.attempts(of: running.id).map(\.outcome) == [.cancelled])
            #expect(try await store.heartbeat([try #require(running.lease)], now: time.now).isEmpty)
            let again = await storeError { _ = try await store.cancel(running.id, reason: nil, now: time.now) }
            #expect(again?.code == .refused)
            let missing = await storeError { _ = try await store.cancel(TaskIDGenerator().next(now: time.now), reason: nil, now: time.now) }
            #expect(missing?.code == .notFound)
        },
        StoreCheck(client: "unclaim puts a task back without using an attempt") { store, time in
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            let task = try await store.claimOne(now: time.now)
            let back = try await store.unclaim(try #require(task.lease), now: time.now)
            #expect(back.state == .pending && back.chargedAttempts == 0 && back.worker == nil)
            let notHeld = await storeError { _ = try await store.unclaim(try #require(task.lease), now: time.now) }
            #expect(notHeld?.code == .refused)
            #expect(try await store.claimOne(now: time.now).attempt == 2)
        },
        StoreCheck(client: "retry runs a failed task once more") { store, time in
            _ = try await store.add(NewTask(handler: "h", retry: RetryPolicy(maxAttempts: 1)), now: time.now)
            let task = try await store.claimOne(now: time.now)
            #expect(try await store.finishOne(task, .failed, now: time.now).appliedTask?.state == .failed)
            let retried = try await store.retry(task.id, now: time.now)
            #expect(retried.state == .pending && retried.finishedAt == nil && retried.retry.maxAttempts == 2)
            let again = try await store.claimOne(now: time.now)
            #expect(again.attempt == 2)
            let notFinished = await storeError { _ = try await store.retry(task.id, now: time.now) }
            #expect(notFinished?.code == .refused)
        },
        StoreCheck(client: "a retry that would give two unfinished tasks one idempotency key is refused, changing nothing") { store, time in
            let first = try await store.add(NewTask(handler: "h", idempotencyKey: "k"), now: time.now)
            _ = try await store.cancel(first.id, reason: nil, now: time.now)
            let second = try await store.add(NewTask(handler: "h", idempotencyKey: "k"), now: time.now)
            do {
                _ = try await store.retry(first.id, now: time.now)
                Issue.record("the retry was accepted")
            } catch let error as StoreError {
                #expect(error.code == .alreadyExists)
                #expect(error.message.contains("task \(second.id)"), "\(error.message)")
            }
            #expect(try await store.stored(first.id).state == .cancelled)
            _ = try await store.cancel(second.id, reason: nil, now: time.now)
            #expect(try await store.retry(first.id, now: time.now).state == .pending)
        },
    ]
}
