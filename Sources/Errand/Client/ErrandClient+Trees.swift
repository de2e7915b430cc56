import ErrandCore
import ErrandStore
import Foundation

/// Task trees and modules (ScyllaDB's task manager): status, recursive status, abort, drain and the TTLs.
extension ErrandClient {
    /// The tree `id` belongs to (its root and every descendant, folded ones included).
    /// - Throws: ``StoreError`` `.notFound`.
    public func tree(of id: TaskID) async throws -> TaskTree { TaskTree(try await store.tree(of: id)) }

    /// The task `id` and all its descendants, breadth first (each level oldest first).
    /// - Throws: ``StoreError`` `.notFound`.
    public func recursiveStatus(of id: TaskID) async throws -> [TaskRecord] {
        try await tree(of: id).breadthFirst(from: id)
    }

    /// Aborts a task and its unfinished abortable descendants: queued ones end `cancelled` at once, running ones also
    /// see Swift task cancellation (or SIGTERM in a child process) at their worker's next heartbeat.
    /// - Throws: ``StoreError`` `.notAbortable`, `.refused` (already finished) or `.notFound`.
    @discardableResult
    public func abort(_ id: TaskID, reason: String? = nil) async throws -> TaskRecord {
        try await store.cancel(id, reason: reason ?? "aborted", now: time.now)
    }

    /// The modules that have tasks.
    public func modules() async throws -> [String] { try await store.modules() }

    /// The tasks of `module`, newest first: its root tasks, or with `internal` every task of the module (children
    /// and internal ones too). Folded tasks are never listed.
    public func moduleTasks(_ module: String, internal includeInternal: Bool = false, limit: Int = 1_000) async throws -> [TaskRecord] {
        try await store.list(TaskQuery(module: module, rootsOnly: !includeInternal, includeInternal: includeInternal, limit: limit)).tasks
    }

    /// Deletes the finished local trees of `module`; returns how many tasks went.
    @discardableResult
    public func drainModule(_ module: String) async throws -> Int { try await store.drainModule(module) }
}

extension ErrandClient {
    /// Runs `handler` once on every live worker that runs it and claims from `queue`, as one global task (ScyllaDB's
    /// virtual task).
    ///
    /// The task's own row is claimed by no worker (its target is empty); each part is its child, claimable only by
    /// its worker (``TaskTreeFields/Values/targetWorker``). The task's progress and, until it ends, its task-manager state are
    /// derived from the parts on read (``TaskTree``); its row changes once, when the last part ends: `completed`
    /// when every part did, `failed` otherwise. A part whose worker is lost before running it is cancelled.
    /// - Returns: the global task and its parts.
    /// - Throws: ``StoreError`` `.invalid` when no live worker runs `handler`.
    public func broadcast(
        _ handler: String,
        arguments: String = "{}",
        queue: String = QueueName.default,
        module: String? = nil,
        byUser: Bool = false
    ) async throws -> (task: TaskRecord, parts: [TaskRecord]) {
        let workers = try await store.workers(states: [.running]).filter { worker in
            worker.handlers.contains(handler) && (worker.queues.isEmpty || worker.queues.contains(queue))
        }
        guard !workers.isEmpty else {
            throw StoreError(
                .invalid,
                "no live worker runs \(handler) on queue \(queue); `errand worker list` shows the workers, their queues and handlers"
            )
        }
        var global = NewTask(handler: handler, arguments: arguments, queue: queue, module: module, type: handler, scope: "cluster")
        global.locality = .global
        global.targetWorker = ""
        global.isUserTask = byUser
        let task = try await enqueue(global).task
        let parts = Set(workers.map(\.leaseName)).sorted().map { worker in
            NewTask(
                handler: handler,
                arguments: arguments,
                queue: queue,
                parentID: task.id,
                isInternal: true,
                scope: "node",
                entity: worker,
                targetWorker: worker
            )
        }
        do {
            return (task, try await enqueue(parts).map(\.task))
        } catch {
            _ = try? await store.cancel(task.id, reason: "its parts could not be enqueued: \(error)", now: time.now)
            throw error
        }
    }
}
