import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let scheduleChecks: [StoreCheck] = [
        StoreCheck("stored definitions are created once, replaced keeping their switch and creation time, and deleted") { store, time in
            #expect(try await store.storedDefinitions().isEmpty)
            let spec = #"{"kind":"periodical","func_name":"errand.echo","schedule":"@every 1s"}"#
            let created = try await store.putDefinition("tick", spec: spec, replacing: false, now: time.now)
            #expect(created.name == "tick" && created.spec == spec && created.createdAt == time.now && created.updatedAt == time.now)
            do {
                _ = try await store.putDefinition("tick", spec: spec, replacing: false, now: time.now)
                Issue.record("a second create of tick was accepted")
            } catch let error as StoreError {
                #expect(error.code == .alreadyExists)
            }
            try await store.setDefinitionEnabled("tick", false, now: time.now)
            let created1 = time.now
            time.advance(by: 5)
            let other = #"{"kind":"single_shot","func_name":"errand.echo"}"#
            let replaced = try await store.putDefinition("tick", spec: other, replacing: true, now: time.now)
            #expect(replaced.spec == other && replaced.createdAt == created1 && replaced.updatedAt == time.now)
            #expect(try await store.disabledDefinitions() == ["tick"], "replacing kept the switch")
            // A switch alone (a file definition turned off) is not a stored definition, and a create may take its row.
            try await store.setDefinitionEnabled("from_file", false, now: time.now)
            #expect(try await store.storedDefinitions().map(\.name) == ["tick"])
            #expect(try await store.deleteDefinition("from_file") == false)
            _ = try await store.putDefinition("from_file", spec: spec, replacing: false, now: time.now)
            #expect(try await store.storedDefinitions().map(\.name) == ["from_file", "tick"])
            #expect(try await store.deleteDefinition("tick"))
            #expect(try await store.deleteDefinition("tick") == false)
            #expect(try await store.storedDefinitions().map(\.name) == ["from_file"])
            #expect(try await store.disabledDefinitions() == ["from_file"])
        },
        StoreCheck("a schedule's slot is enqueued once, and never one before the mark") { store, time in
            let slot = time.now.addingTimeInterval(-1)
            #expect(try await store.scheduleMark("nightly") == nil)
            let first = try await store.enqueueSlot(NewTask(handler: "h"), schedule: "nightly", slot: slot, skipIfOutstanding: false, now: time.now)
            let task = try #require(first.task)
            #expect(task.module == "nightly")
            #expect(try await store.scheduleMark("nightly") == slot)
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "nightly", slot: slot, skipIfOutstanding: false, now: time.now)
                    == .alreadyDone
            )
            let earlier = slot.addingTimeInterval(-60)
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "nightly", slot: earlier, skipIfOutstanding: false, now: time.now)
                    == .alreadyDone
            )
            #expect(try await store.scheduleMark("nightly") == slot)
            let later = slot.addingTimeInterval(60)
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "nightly", slot: later, skipIfOutstanding: false, now: time.now).task
                    != nil
            )
            #expect(try await store.scheduleMark("nightly") == later)
            // Another schedule has its own mark.
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "hourly", slot: slot, skipIfOutstanding: false, now: time.now).task
                    != nil
            )
            #expect(try await store.list(TaskQuery(module: "nightly")).tasks.count == 2)
            #expect(try await store.list(TaskQuery(module: "hourly")).tasks.count == 1)
        },
        StoreCheck("skip_if_outstanding passes a slot over while a launch is unfinished, and the mark still moves") { store, time in
            let first = try #require(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "s", slot: time.now, skipIfOutstanding: true, now: time.now).task
            )
            time.advance(by: 1)
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "s", slot: time.now, skipIfOutstanding: true, now: time.now)
                    == .skippedOutstanding
            )
            #expect(try await store.scheduleMark("s") == time.now)
            // Without the option the slot is enqueued beside the unfinished launch.
            time.advance(by: 1)
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "s", slot: time.now, skipIfOutstanding: false, now: time.now).task != nil
            )
            for task in try await store.claimAll(now: time.now) {
                _ = try await store.finish([Finish(lease: try #require(task.lease), outcome: .succeeded)], now: time.now)
            }
            #expect(try await store.stored(first.id).state == .completed)
            time.advance(by: 1)
            #expect(
                try await store.enqueueSlot(NewTask(handler: "h"), schedule: "s", slot: time.now, skipIfOutstanding: true, now: time.now).task != nil
            )
        },
        StoreCheck("a slot into a suspended queue is refused and the mark stays") { store, time in
            _ = try await store.createQueue("paused", now: time.now)
            _ = try await store.setQueueState("paused", to: .suspended, now: time.now)
            let error = await storeError {
                _ = try await store.enqueueSlot(
                    NewTask(handler: "h", queue: "paused"),
                    schedule: "s",
                    slot: time.now,
                    skipIfOutstanding: false,
                    now: time.now
                )
            }
            #expect(error?.code == .queueSuspended)
            #expect(try await store.scheduleMark("s") == nil)
        },
        StoreCheck("task statuses count every task and each definition's launches in Tarantool's vocabulary") { store, time in
            func launch(_ retry: RetryPolicy = .default) -> NewTask {
                var task = NewTask(handler: "h", retry: retry, timeToResolve: 10)
                task.module = "m"
                return task
            }
            let once = RetryPolicy(maxAttempts: 1)
            // Claimed in enqueue order: completed, lost, stopped, running; then two left pending.
            let tasks = try await store.enqueue([launch(), launch(once), launch(), launch(), launch(), launch()], now: time.now).map(\.task)
            _ = try await store.enqueue([NewTask(handler: "h")], now: time.now)  // no module: counted in all only
            let claimed = try await store.claim(ClaimRequest(worker: "w", limit: 4, now: time.now))
            #expect(claimed.map(\.id) == Array(tasks.prefix(4)).map(\.id))
            _ = try await store.finish([Finish(lease: try #require(claimed[0].lease), outcome: .succeeded)], now: time.now)
            _ = try await store.cancel(claimed[2].id, reason: nil, now: time.now)
            _ = try await store.cancel(tasks[5].id, reason: nil, now: time.now)
            time.advance(by: 11)
            _ = try await store.heartbeat([try #require(claimed[3].lease)], now: time.now.addingTimeInterval(-2))
            _ = try await store.rescueExpiredLeases(now: time.now, limit: 10)
            #expect(try await store.stored(tasks[1].id).state == .failed)
            // No live worker runs h: the waiting tasks are unknown tasks.
            let unserved = try await store.taskStatuses(now: time.now)
            #expect(unserved.definitions.map(\.module) == ["m"])
            #expect(unserved.definitions.first?[.unknownTask] == 1 && unserved.definitions.first?[.pending] == 0)
            #expect(unserved.all[.unknownTask] == 2 && unserved.all.total == 7)
            // A live worker on every queue that runs h takes them; one of another handler or queue does not.
            try await store.registerWorker(
                WorkerRecord(id: "other", name: "o", leaseName: "o", queues: ["elsewhere"], spec: #"{"handlers": ["h"]}"#, startedAt: time.now)
            )
            try await store.registerWorker(WorkerRecord(id: "g", name: "g", leaseName: "g", spec: #"{"handlers": ["g"]}"#, startedAt: time.now))
            #expect(try await store.taskStatuses(now: time.now).all[.unknownTask] == 2)
            try await store.registerWorker(WorkerRecord(id: "h", name: "h", leaseName: "h", spec: #"{"handlers": ["h"]}"#, startedAt: time.now))
            let statuses = try await store.taskStatuses(now: time.now)
            #expect(statuses.definitions.map(\.module) == ["m"])
            let m = try #require(statuses.definitions.first)
            #expect(m[.completed] == 1)
            #expect(m[.lost] == 1)
            #expect(m[.stopped] == 1)
            #expect(m[.didNotStart] == 1)
            #expect(m[.running] == 1)
            #expect(m[.pending] == 1)
            #expect(m[.failed] == 0)
            #expect(m[.unknownTask] == 0)
            #expect(m.total == 6)
            #expect(statuses.all[.pending] == 2 && statuses.all.total == 7, "the anonymous task is counted in all")
            // A task that requires a tag no live worker has is an unknown task too, until one that has it registers.
            _ = try await store.add(NewTask(handler: "h", requires: ["gpu"]), now: time.now)
            #expect(try await store.taskStatuses(now: time.now).all[.unknownTask] == 1)
            try await store.registerWorker(
                WorkerRecord(id: "gpu", name: "gpu", leaseName: "gpu", spec: #"{"handlers": ["h"], "tags": ["gpu"]}"#, startedAt: time.now)
            )
            #expect(try await store.taskStatuses(now: time.now).all[.unknownTask] == 0)
            // Once the workers' heartbeats have expired, they take nothing.
            #expect(try await store.taskStatuses(now: time.now.addingTimeInterval(60)).all[.unknownTask] == 3)
        },
        StoreCheck("the launches kept per definition are capped, unfinished ones never trimmed") { store, time in
            func launches(_ module: String?, _ count: Int) -> [NewTask] {
                (0..<count).map { _ in
                    var task = NewTask(handler: "h")
                    task.module = module
                    return task
                }
            }
            var finished: [TaskID] = []
            for module in ["m", "m", "m", "m", "m", "n", "n", nil, nil] as [String?] {
                let task = try await store.add(launches(module, 1)[0], now: time.now)
                let claimed = try await store.claimOne(now: time.now)
                _ = try await store.finish([Finish(lease: try #require(claimed.lease), outcome: .succeeded)], now: time.now)
                finished.append(task.id)
                time.advance(by: 1)
            }
            let waiting = try await store.add(launches("m", 1)[0], now: time.now)
            #expect(try await store.trimLaunches(maxPerModule: 2) == 3)
            let left = Set(try await store.list(TaskQuery(limit: 100)).tasks.map(\.id))
            #expect(left == Set(finished.suffix(6) + [waiting.id]), "the newest two of m, both of n, the rest without a module, and the waiting one")
            for id in finished.prefix(3) { #expect(try await store.attempts(of: id).isEmpty) }
            #expect(try await store.trimLaunches(maxPerModule: 2) == 0)
        },
        StoreCheck(client: "definitions are enabled until disabled, and enabled again") { store, time in
            #expect(try await store.disabledDefinitions().isEmpty)
            try await store.setDefinitionEnabled("nightly", false, now: time.now)
            try await store.setDefinitionEnabled("hourly", false, now: time.now)
            #expect(try await store.disabledDefinitions() == ["nightly", "hourly"])
            try await store.setDefinitionEnabled("nightly", true, now: time.now)
            try await store.setDefinitionEnabled("never-disabled", true, now: time.now)
            #expect(try await store.disabledDefinitions() == ["hourly"])
        },
    ]
}
