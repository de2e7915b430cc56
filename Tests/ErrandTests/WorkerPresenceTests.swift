import Errand
import ErrandCore
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import GRDB
import Testing

/// A node the cluster found lost rejoins the worker registry and goes on running tasks.
@Suite(.timeLimit(.minutes(1))) struct WorkerPresenceTests {
    @Test func aSalvagedNodeRejoinsUnderANewIdAndKeepsRunningTasks() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("e.db").path)
            let time = ManualTimeSource()
            let configuration = NodeConfiguration(
                dispatcher: DispatcherConfiguration(worker: "node-a", capacity: 2),
                leads: false,
                presence: WorkerPresenceConfiguration(heartbeatInterval: 2, heartbeatExpiration: 10, salvageAfter: 0)
            )
            let node = ErrandNode(store: store, handlers: .withBuiltins(), configuration: configuration, time: time)
            let client = ErrandClient(store: store, time: time)
            let running = Task { try await node.run() }
            defer { running.cancel() }
            let first = node.workerID
            #expect(try await eventually("the node registered") { try await store.workers(states: [.running]).map(\.id) == [first] })

            // Another node finds it lost (as after an outage longer than its expiration) and salvages it.
            let salvage = try await store.salvageWorkers(by: "leader", now: time.now.addingTimeInterval(60), limit: 10)
            #expect(salvage.salvaged.map(\.id) == [first])

            let rejoined = await eventually("the node rejoined") {
                time.advance(by: 0.5)
                return node.rejoins == 1
            }
            #expect(rejoined)
            let second = node.workerID
            #expect(second != first)
            let running_ = try await store.workers(states: [.running])
            #expect(running_.map(\.id) == [second])
            #expect(running_.first?.leaseName == "node-a")
            #expect(try await store.workers(states: [.salvaged]).map(\.id) == [first])

            // It still claims and runs work, and heartbeats its new record (no second rejoin).
            let task = try await client.enqueue("errand.echo", arguments: 7).task
            let done = try await eventually("the task completed") {
                time.advance(by: 0.1)
                return try await store.task(task.id)?.state == .completed
            }
            #expect(done)
            for _ in 0..<20 { time.advance(by: 1) }
            #expect(node.rejoins == 1)

            node.dispatcher.stop()
            time.advance(by: 10)
            try await running.value
            #expect(try await store.workers(states: [.succeeded]).map(\.id) == [second])
        }
    }

    @Test func aNodeThatCannotRegisterYetWaitsForTheStoreInsteadOfExiting() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("e.db").path
            var settings = SQLiteTaskStore.Configuration()
            settings.busyTimeout = 0.05
            let store = try SQLiteTaskStore(path: path, configuration: settings)
            // Another connection holds the write lock: every write of the store fails, as in an outage.
            var unsafe = GRDB.Configuration()
            unsafe.allowsUnsafeTransactions = true
            let blocker = try DatabaseQueue(path: path, configuration: unsafe)
            let release = AsyncStream<Void>.makeStream()
            try await blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
            let holding = Task {
                for await _ in release.stream { break }
                try await blocker.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            }
            let time = ManualTimeSource()
            let configuration = NodeConfiguration(dispatcher: DispatcherConfiguration(worker: "node-b", capacity: 2), leads: false)
            let node = ErrandNode(store: store, handlers: .withBuiltins(), configuration: configuration, time: time)
            let running = Task { try await node.run() }
            defer { running.cancel() }
            // It retries with a growing pause on the manual clock, and is still there.
            // Nothing else sleeps on the clock yet: its one deadline is the registration's pause, 0.25 s × failures.
            let retried = await eventually("the node retried its registration four times") {
                guard let next = time.deadlines.first else { return false }
                if next.timeIntervalSince(time.now) >= 1 { return true }
                time.advance(by: 5)
                return false
            }
            #expect(retried)
            release.continuation.yield()
            try await holding.value
            let registered = try await eventually("the node registered once the store answered") {
                time.advance(by: 5)
                return try await store.workers(states: [.running]).map(\.leaseName) == ["node-b"]
            }
            #expect(registered)
            let client = ErrandClient(store: store, time: time)
            let task = try await client.enqueue("errand.echo", arguments: 1).task
            let done = try await eventually("the task completed") {
                time.advance(by: 0.1)
                return try await store.task(task.id)?.state == .completed
            }
            #expect(done)
            node.dispatcher.stop()
            time.advance(by: 10)
            try await running.value
        }
    }
}
