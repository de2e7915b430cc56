import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let workerChecks: [StoreCheck] = [
        StoreCheck("a worker registers, heartbeats, ends, and is listed by state") { store, time in
            let worker = WorkerRecord(
                id: "w-1",
                name: "pod-1",
                leaseName: "pod-1:7",
                queues: ["batch"],
                spec: #"{"command":["cat"]}"#,
                startedAt: time.now
            )
            try await store.registerWorker(worker)
            #expect(try await store.workers(states: [.running]) == [worker.stored])
            time.advance(by: 2)
            let beaten = try #require(try await store.workerHeartbeat("w-1", now: time.now))
            #expect(beaten.state == .running && beaten.lastHeartbeatAt == time.now && beaten.queues == ["batch"])
            #expect(try await store.workerHeartbeat("nobody", now: time.now) == nil)
            try await store.endWorker("w-1", as: .succeeded, now: time.now)
            let ended = try #require(try await store.workers(states: []).first)
            #expect(ended.state == .succeeded && ended.finishedAt == time.now)
            #expect(try await store.workers(states: [.running, .lost]).isEmpty)
            // An ended worker does not come back with a late heartbeat.
            #expect(try await store.workerHeartbeat("w-1", now: time.now)?.state == .succeeded)
        },
        StoreCheck("a worker whose heartbeat expired is lost, then salvaged with the tasks it held") { store, time in
            let started = time.now
            try await store.registerWorker(
                WorkerRecord(id: "w-lost", name: "pod", leaseName: "pod:1", startedAt: started, heartbeatExpiration: 10, salvageAfter: 15)
            )
            try await store.registerWorker(WorkerRecord(id: "w-alive", name: "other", leaseName: "other:2", startedAt: started))
            let added = try await store.add(NewTask(handler: "h", retry: RetryPolicy(maxAttempts: 1)), now: time.now)
            let held = try await store.claimOne(worker: "pod:1", now: time.now)
            #expect(held.id == added.id)
            time.advance(by: 5)
            _ = try await store.workerHeartbeat("w-alive", now: time.now)
            #expect(try await store.salvageWorkers(by: "leader", now: time.now, limit: 10) == WorkerSalvage())
            time.advance(by: 6)
            let first = try await store.salvageWorkers(by: "leader", now: time.now, limit: 10)
            #expect(first.lost.map(\.id) == ["w-lost"] && first.salvaged.isEmpty && first.tasks.isEmpty)
            #expect(try await store.workers(states: [.lost]).map(\.id) == ["w-lost"])
            #expect(try await store.task(held.id)?.state == .running)
            time.advance(by: 15)
            let second = try await store.salvageWorkers(by: "leader", now: time.now, limit: 10)
            #expect(second.lost.map(\.id) == ["w-alive"], "w-alive last beat 21 s ago")
            #expect(second.salvaged.map(\.id) == ["w-lost"] && second.salvaged.first?.salvagedBy == "leader")
            let requeued = try #require(second.tasks.first?.appliedTask)
            #expect(requeued.id == held.id && requeued.state == .pending && requeued.worker == nil && requeued.runAt == time.now)
            // The attempt was given back: a task allowed one attempt runs again.
            #expect(requeued.chargedAttempts == 0 && requeued.lastError?.contains("was lost") == true)
            let attempt = try #require(try await store.attempts(of: held.id).last)
            #expect(attempt.outcome == .lost && attempt.salvagedBy == "leader" && attempt.salvagedAt == time.now)
            let stored = try #require(try await store.workers(states: [.salvaged]).first)
            #expect(stored.id == "w-lost" && stored.salvagedAt == time.now && stored.finishedAt == time.now)
            // A salvaged worker that wakes up learns it was salvaged (and rejoins under a new id); its state stays.
            #expect(try await store.workerHeartbeat("w-lost", now: time.now)?.state == .salvaged)
            try await store.endWorker("w-lost", as: .failed, now: time.now)
            #expect(try await store.workers(states: [.salvaged]).map(\.id) == ["w-lost"])
        },
        StoreCheck(client: "the running tasks each worker holds are counted by lease name, registered or not") { store, time in
            #expect(try await store.tasksHeld().isEmpty)
            for _ in 0..<4 { _ = try await store.add(NewTask(handler: "h"), now: time.now) }
            let first = try await store.claimOne(worker: "pod:1", now: time.now)
            _ = try await store.claimOne(worker: "pod:1", now: time.now)
            _ = try await store.claimOne(worker: "remote-x", now: time.now)
            #expect(try await store.tasksHeld() == ["pod:1": 2, "remote-x": 1])
            _ = try await store.finishOne(first, .succeeded, now: time.now)
            #expect(try await store.tasksHeld() == ["pod:1": 1, "remote-x": 1])
        },
        StoreCheck("a lost worker that beats again before it is salvaged runs on") { store, time in
            try await store.registerWorker(WorkerRecord(id: "w", name: "pod", leaseName: "pod:1", startedAt: time.now, heartbeatExpiration: 2))
            time.advance(by: 3)
            #expect(try await store.salvageWorkers(by: "leader", now: time.now, limit: 10).lost.count == 1)
            #expect(try await store.workerHeartbeat("w", now: time.now)?.state == .running)
            #expect(try await store.workers(states: [.running]).count == 1)
        },
        StoreCheck("workers that stopped long ago are pruned; running ones are kept") { store, time in
            try await store.registerWorker(WorkerRecord(id: "old", name: "a", leaseName: "a:1", startedAt: time.now))
            try await store.registerWorker(WorkerRecord(id: "running", name: "b", leaseName: "b:1", startedAt: time.now))
            try await store.endWorker("old", as: .succeeded, now: time.now)
            time.advance(by: 100)
            #expect(try await store.pruneWorkers(endedBefore: time.now.addingTimeInterval(-50)) == 1)
            #expect(try await store.workers(states: []).map(\.id) == ["running"])
        },
    ]
}

extension WorkerRecord {
    /// This record as a store gives it back: times to the millisecond.
    var stored: WorkerRecord {
        var record = self
        record.startedAt = startedAt.wholeMilliseconds
        record.lastHeartbeatAt = lastHeartbeatAt.wholeMilliseconds
        return record
    }
}
