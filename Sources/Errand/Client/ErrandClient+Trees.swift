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

    /// The TTL set at run time for finished trees (`user` for those a user started), or `nil` when the nodes use
    /// their configured one.
    public func ttl(user: Bool = false) async throws -> Double? {
        try await store.setting(user ? StoreSetting.userTaskTTL : StoreSetting.taskTTL).flatMap(Double.init)
    }

    /// Sets the TTL of finished trees (`user` for those a user started) for every node, from the next janitor round.
    /// - Throws: ``StoreError`` `.invalid` for a negative number of seconds.
    public func setTTL(_ seconds: Int, user: Bool = false) async throws {
        guard seconds >= 0 else { throw StoreError(.invalid, "ttl must be a whole number of seconds >= 0, got \(seconds)") }
        let name = user ? StoreSetting.userTaskTTL : StoreSetting.taskTTL
        try await store.setSetting(name, to: String(seconds), now: time.now)
    }
}
