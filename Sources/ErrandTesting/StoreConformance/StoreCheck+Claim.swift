import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let claimChecks: [StoreCheck] = [
        StoreCheck(client: "claim takes tasks by priority, then run_at, then id") { store, time in
            let now = time.now
            let late = try await store.add(NewTask(handler: "h", arguments: "1", priority: 5), now: now)
            let urgent = try await store.add(NewTask(handler: "h", arguments: "2", priority: 1), now: now)
            let earlier = try await store.add(NewTask(handler: "h", arguments: "3", priority: 5, runAt: now.addingTimeInterval(-10)), now: now)
            let sameTime = try await store.add(NewTask(handler: "h", arguments: "4", priority: 5), now: now)
            let claimed = try await store.claimAll(now: now)
            #expect(claimed.map(\.id) == [urgent.id, earlier.id, late.id, sameTime.id])
        },
        StoreCheck(client: "a task that requires tags goes only to a claim that has them, in claim order across them") { store, time in
            let now = time.now
            let plain = try await store.add(NewTask(handler: "h", priority: 5), now: now)
            let gpu = try await store.add(NewTask(handler: "h", priority: 1, requires: ["gpu"]), now: now)
            let both = try await store.add(NewTask(handler: "h", priority: 0, requires: ["ssd", "gpu", "gpu"]), now: now)
            let big = try await store.enqueue((0..<300).map { _ in NewTask(handler: "h", priority: 9, requires: ["tpu"]) }, now: now)
            #expect(try await store.stored(both.id).requires == ["gpu", "ssd"], "kept sorted, without repeats")
            #expect(try await store.stored(try #require(big.last?.task.id)).requires == ["tpu"])
            // Without tags, only what requires nothing.
            #expect(try await store.claim(ClaimRequest(worker: "plain", limit: 10, now: now)).map(\.id) == [plain.id])
            #expect(try await store.claim(ClaimRequest(worker: "plain", limit: 10, now: now)).isEmpty)
            // gpu alone meets gpu, not gpu+ssd; gpu+ssd meets both, in priority order.
            #expect(try await store.claim(ClaimRequest(worker: "g", limit: 10, now: now, tags: ["gpu", "fpga"])).map(\.id) == [gpu.id])
            let extra = try await store.add(NewTask(handler: "h", priority: 3), now: now)
            let claimed = try await store.claim(ClaimRequest(worker: "gs", limit: 2, now: now, tags: ["ssd", "gpu"]))
            #expect(claimed.map(\.id) == [both.id, extra.id], "across the requirement and the plain tasks, by priority")
            #expect(claimed.first?.requires == ["gpu", "ssd"])
            #expect(try await store.claim(ClaimRequest(worker: "t", limit: 500, now: now, tags: ["tpu"])).count == 300)
        },
        StoreCheck(client: "a claimed task is running with a lease of time_to_resolve") { store, time in
            let added = try await store.add(NewTask(handler: "h", timeToResolve: 30), now: time.now)
            time.advance(by: 1)
            let task = try await store.claimOne(worker: "worker-a", now: time.now)
            #expect(task.id == added.id)
            #expect(task.state == .running)
            #expect(task.attempt == 1 && task.chargedAttempts == 1)
            #expect(task.worker == "worker-a")
            #expect(task.startedAt == time.now)
            #expect(task.leaseExpiresAt == time.now.addingTimeInterval(30))
            #expect(try await store.stored(task.id) == task)
        },
        StoreCheck(client: "claim respects the limit and never hands a task out twice") { store, time in
            _ = try await store.enqueue((0..<10).map { _ in NewTask(handler: "h") }, now: time.now)
            let first = try await store.claim(ClaimRequest(worker: "a", limit: 4, now: time.now))
            let second = try await store.claim(ClaimRequest(worker: "b", limit: 100, now: time.now))
            #expect(first.count == 4)
            #expect(second.count == 6)
            #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
            #expect(try await store.claim(ClaimRequest(worker: "c", limit: 100, now: time.now)).isEmpty)
        },
        StoreCheck("a task is not claimed before its run_at") { store, time in
            let task = try await store.add(NewTask(handler: "h", runAt: time.now.addingTimeInterval(5)), now: time.now)
            #expect(try await store.claimAll(now: time.now).isEmpty)
            #expect(try await store.nextRunAt(queues: []) == task.runAt)
            time.advance(by: 5)
            #expect(try await store.claimAll(now: time.now).map(\.id) == [task.id])
        },
        StoreCheck("the next due time counts only the handlers asked for") { store, time in
            _ = try await store.add(NewTask(handler: "theirs"), now: time.now)
            let ours = try await store.add(NewTask(handler: "ours", runAt: time.now.addingTimeInterval(30)), now: time.now)
            #expect(try await store.nextRunAt(queues: [], handlers: ["ours"]) == ours.runAt)
            #expect(try await store.nextRunAt(queues: [], handlers: []) == time.now.wholeMilliseconds)
            #expect(try await store.nextRunAt(queues: [], handlers: ["nobody"]) == nil)
            #expect(try await store.nextRunAt(queues: ["default"], handlers: ["ours", "theirs"]) == time.now.wholeMilliseconds)
        },
        StoreCheck("tasks of a suspended queue are not claimed until it resumes") { store, time in
            _ = try await store.createQueue("q", now: time.now)
            let task = try await store.add(NewTask(handler: "h", queue: "q"), now: time.now)
            _ = try await store.setQueueState("q", to: .suspended, now: time.now)
            #expect(try await store.claimAll(now: time.now).isEmpty)
            #expect(try await store.nextRunAt(queues: []) == nil)
            _ = try await store.setQueueState("q", to: .active, now: time.now)
            #expect(try await store.claimAll(now: time.now).map(\.id) == [task.id])
        },
        StoreCheck(client: "claim can be limited to queues and handlers") { store, time in
            _ = try await store.createQueue("q", now: time.now)
            let inQ = try await store.add(NewTask(handler: "a", queue: "q"), now: time.now)
            let other = try await store.add(NewTask(handler: "b"), now: time.now)
            let handlerA = try await store.add(NewTask(handler: "a"), now: time.now)
            #expect(try await store.claimAll(now: time.now, queues: ["q"]).map(\.id) == [inQ.id])
            let byHandler = try await store.claim(ClaimRequest(handlers: ["a"], worker: "w", limit: 10, now: time.now))
            #expect(byHandler.map(\.id) == [handlerA.id])
            #expect(try await store.claimAll(now: time.now).map(\.id) == [other.id])
        },
        StoreCheck(client: "claim with a zero limit claims nothing") { store, time in
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            #expect(try await store.claim(ClaimRequest(worker: "w", limit: 0, now: time.now)).isEmpty)
            #expect(try await store.claimAll(now: time.now).count == 1)
        },
    ]
}
