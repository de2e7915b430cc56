import Errand
import ErrandCore
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Synchronization
import Testing

/// Task trees end to end: in-process handlers spawning sub-tasks on a real SQLite store, with a manual clock.
@Suite(.timeLimit(.minutes(5))) struct TaskTreeTests {
    /// A cluster repair: the root spawns one task per keyspace, each spawns one per table; tables report progress.
    /// `failing` names a `keyspace/table` whose task fails (once, for good).
    static func repairHandlers(failing: String? = nil) -> HandlerRegistry {
        var handlers = HandlerRegistry()
        handlers.register("repair.cluster") { context in
            try await context.spawn(
                (1...3).map { NewTask(handler: "repair.keyspace", progressUnits: "ranges", scope: "keyspace", keyspace: "ks\($0)") }
            )
            return nil
        }
        handlers.register("repair.keyspace") { context in
            try await context.spawn(
                (1...3).map {
                    NewTask(
                        handler: "repair.table",
                        retry: RetryPolicy(maxAttempts: 1),
                        progressUnits: "ranges",
                        scope: "table",
                        keyspace: context.task.keyspace,
                        table: "t\($0)"
                    )
                }
            )
            return nil
        }
        handlers.register("repair.table") { context in
            if "\(context.task.keyspace ?? "")/\(context.task.table ?? "")" == failing { throw HandlerFailure("disk full") }
            try await context.reportProgress(completed: 4, total: 4)
            return #"{"ranges":4}"#
        }
        return handlers
    }

    static let repair = NewTask(handler: "repair.cluster", module: "repair", type: "repair", scope: "cluster", isUserTask: true)

    @Test func aThreeLevelTreeRunsReadsBreadthFirstAndStaysReadable() async throws {
        try await withTestNode(handlers: Self.repairHandlers()) { client, _, _ in
            let root = try await client.enqueue(Self.repair).task
            let done = try await client.wait(for: root.id, timeout: 60)
            #expect(done.state == .completed)

            let status = try await client.recursiveStatus(of: root.id)
            #expect(status.count == 13)
            #expect(status.first?.id == root.id)
            let keyspaces = Array(status[1...3])
            #expect(keyspaces.allSatisfy { $0.parentID == root.id && $0.scope == "keyspace" })
            #expect(keyspaces.map(\.keyspace) == ["ks1", "ks2", "ks3"])
            let tables = Array(status[4...])
            #expect(tables.map(\.parentID) == keyspaces.flatMap { Array(repeating: $0.id, count: 3) }, "breadth first, oldest first")
            #expect(tables.map { "\($0.keyspace ?? "")/\($0.table ?? "")" }.prefix(4) == ["ks1/t1", "ks1/t2", "ks1/t3", "ks2/t1"])
            #expect(tables.allSatisfy { $0.progressCompleted == 4 && $0.progressTotal == 4 && $0.rootID == root.id })
            #expect(status.allSatisfy { $0.state == .completed && $0.module == "repair" && $0.sequenceNumber == 1 })
            let tree = try await client.tree(of: root.id)
            #expect(tree.progress(of: root.id) == TaskProgress(completed: 36, total: 36))
            #expect(tree.progress(of: keyspaces[1].id) == TaskProgress(completed: 12, total: 12))

            // Reading status never removes a finished task (ScyllaDB's bug): the same records, twice.
            let again = try await client.recursiveStatus(of: root.id)
            #expect(again == status)
            #expect(try await client.task(root.id) == done)
            #expect(try await client.task(root.id) == done)
            // Folded: only the root is listed; the sub-tasks keep their essentials in the tree.
            #expect(try await client.list().tasks.map(\.id) == [root.id])
            #expect(status.dropFirst().allSatisfy { $0.isFolded })
            #expect(tables.allSatisfy { $0.result == #"{"ranges":4}"# && $0.arguments == "{}" })
            #expect(try await client.moduleTasks("repair").map(\.id) == [root.id])
            #expect(try await client.modules() == ["repair"])
        }
    }

    @Test func aFailedTableKeepsItselfAndItsAncestorsAndFoldsTheRest() async throws {
        try await withTestNode(handlers: Self.repairHandlers(failing: "ks2/t3")) { client, _, _ in
            let root = try await client.enqueue(Self.repair).task
            let done = try await client.wait(for: root.id, timeout: 60)
            #expect(done.state == .failed)
            let status = try await client.recursiveStatus(of: root.id)
            #expect(status.count == 13)
            let kept = status.filter { !$0.isFolded }
            #expect(
                kept.map { [$0.scope ?? "", $0.keyspace ?? "", $0.table ?? ""].joined(separator: "/") } == [
                    "cluster//", "keyspace/ks2/", "table/ks2/t3",
                ]
            )
            #expect(kept.map(\.state) == [.failed, .failed, .failed])
            #expect(kept[2].lastError == "disk full")
            #expect(kept[1].lastError?.hasPrefix("1 of its 3 child tasks did not succeed") == true)
            #expect(Set(try await client.list().tasks.map(\.id)) == Set(kept.map(\.id)))
            #expect(try await client.attempts(of: kept[2].id).count == 1)
        }
    }

    @Test func abortStopsRunningDescendantsAndANonAbortableTaskRefuses() async throws {
        let stopped = Mutex<[String]>([])
        let release = Mutex(false)
        var handlers = HandlerRegistry()
        handlers.register("op.root") { context in
            try await context.spawn([
                NewTask(handler: "op.forever", arguments: #""a""#, timeToResolve: 3),
                NewTask(handler: "op.forever", arguments: #""b""#, timeToResolve: 3),
                NewTask(handler: "op.fixed", timeToResolve: 3, isAbortable: false),
            ])
            return String(describing: try await context.waitForChildren().count)
        }
        handlers.register("op.forever") { context in
            do {
                while true { try await Task.sleep(for: .milliseconds(10)) }
            } catch {
                stopped.withLock { $0.append(context.arguments) }
                throw error
            }
        }
        handlers.register("op.fixed") { _ in
            while !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
            return nil
        }
        try await withTestNode(handlers: handlers) { client, _, time in
            let root = try await client.enqueue(NewTask(handler: "op.root", timeToResolve: 3)).task
            let running = try await eventually(timeout: 30, "every task running") {
                try await client.recursiveStatus(of: root.id).filter { $0.state == .running }.count == 4
            }
            try #require(running)
            let children = try await client.recursiveStatus(of: root.id).dropFirst()
            let fixed = try #require(children.first { $0.handler == "op.fixed" })
            let refused = await storeError { try await client.abort(fixed.id) }
            #expect(refused?.code == .notAbortable)
            #expect(try await client.task(fixed.id)?.state == .running)

            let aborted = try await client.abort(root.id, reason: "operator")
            #expect(aborted.state == .cancelled)
            for child in children where child.handler == "op.forever" {
                #expect(try await client.task(child.id)?.state == .cancelled)
            }
            // Running handlers learn of it at their worker's next heartbeat (every third of the lease).
            let seen = await eventually(timeout: 30, "both running children saw cancellation") {
                time.advance(by: 1)
                return stopped.withLock { $0.sorted() } == [#""a""#, #""b""#]
            }
            #expect(seen)
            release.withLock { $0 = true }
            let fixedDone = try await client.wait(for: fixed.id, timeout: 30)
            #expect(fixedDone.state == .completed, "a task that is not abortable runs to its end")
            #expect(try await client.task(root.id)?.state == .cancelled)
            #expect(try await client.task(root.id)?.message == "operator")
        }
    }
}

/// A broadcast across two nodes on one store: one part per live node, the global task derived from its parts.
@Suite(.timeLimit(.minutes(5))) struct BroadcastTests {
    @Test func aBroadcastRunsOnceOnEveryLiveNodeAsOneGlobalTask() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("b.db").path)
            let ran = Mutex<[String]>([])
            var handlers = HandlerRegistry()
            handlers.register("cache.flush") { context in
                ran.withLock { $0.append(context.worker) }
                try await context.reportProgress(completed: 1, total: 1)
                return nil
            }
            // node-c claims only from another queue: the broadcast is not its to run.
            let nodes = [("node-a", [String]()), ("node-b", []), ("node-c", ["other"])].map { name, queues in
                ErrandNode(
                    store: store,
                    handlers: handlers,
                    configuration: NodeConfiguration(
                        dispatcher: DispatcherConfiguration(worker: name, capacity: 2, queues: queues, pollInterval: 0.2),
                        presence: WorkerPresenceConfiguration(id: "\(name)-run", name: name)
                    )
                )
            }
            let running = nodes.map { node in Task { try await node.run() } }
            defer { for task in running { task.cancel() } }
            let client = ErrandClient(store: store)
            let registered = try await eventually(timeout: 30, "the nodes registered") {
                try await store.workers(states: [.running]).count == 3
            }
            try #require(registered)
            #expect(try await store.workers(states: [.running]).allSatisfy { $0.handlers.contains("cache.flush") })

            let (global, parts) = try await client.broadcast("cache.flush", module: "ops", byUser: true)
            #expect(parts.compactMap(\.targetWorker) == ["node-a", "node-b"])
            #expect(global.locality == .global && global.isVirtual)
            let done = try await client.wait(for: global.id, timeout: 30)
            #expect(done.state == .completed && done.attempt == 0)
            #expect(ran.withLock { $0.sorted() } == ["node-a", "node-b"], "once on every node")
            let tree = try await client.tree(of: global.id)
            #expect(tree.progress(of: global.id) == TaskProgress(completed: 2, total: 2))
            #expect(tree.managerState(of: global.id) == "done")
            #expect(tree.children(of: global.id).allSatisfy { $0.state == .completed && $0.isFolded })
            let unknown = await storeError { _ = try await client.broadcast("nobody.runs.this") }
            #expect(unknown?.code == .invalid)
            for node in nodes { node.dispatcher.stop() }
            for task in running { _ = await task.result }
        }
    }
}
