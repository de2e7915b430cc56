import ErrandCore
import ErrandStore
import Foundation

/// What a handler knows about the attempt it runs, and what it may do with its task: spawn sub-tasks, report
/// progress, wait for its children.
public struct TaskContext: Sendable {
    /// The task as claimed (state `running`, with its lease).
    public let task: TaskRecord
    /// The worker running the attempt.
    public let worker: String
    let store: (any TaskStore)?
    let time: any TimeSource

    /// A context for `task`; without a store, ``spawn(_:internal:)``, ``reportProgress(completed:total:)`` and
    /// ``waitForChildren(timeout:)`` throw.
    public init(task: TaskRecord, worker: String, store: (any TaskStore)? = nil, time: any TimeSource = SystemTimeSource()) {
        self.task = task
        self.worker = worker
        self.store = store
        self.time = time
    }

    /// The task's arguments as JSON text.
    public var arguments: String { task.arguments }

    /// The arguments decoded as `T`.
    /// - Throws: ``HandlerFailure`` naming the handler and the decoding problem; the attempt fails.
    public func decodeArguments<T: Decodable>(as type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(task.arguments.utf8))
        } catch {
            throw HandlerFailure("arguments of \(task.handler) do not decode as \(T.self): \(error)")
        }
    }

    /// Enqueues `children` as sub-tasks of this task: they join its tree, module and operation number. Sub-tasks are
    /// internal unless `internal` is `false`, so module listings leave them out and the finished tree folds them.
    ///
    /// This task then ends only when they all have: if the handler returns first, the task waits for them and fails
    /// when one did not succeed; a handler that waits for them (``waitForChildren(timeout:)``) decides itself.
    /// - Returns: the stored sub-tasks, in order.
    @discardableResult
    public func spawn(_ children: [NewTask], internal isInternal: Bool = true) async throws -> [TaskRecord] {
        let store = try requireStore("spawn sub-tasks")
        let children = children.map { child in
            var child = child
            child.parentID = task.id
            child.isInternal = isInternal
            return child
        }
        return try await store.enqueue(children, now: time.now).map(\.task)
    }

    /// Records the attempt's progress (in units of the handler's choosing) and extends its lease.
    /// - Throws: ``HandlerFailure`` when the lease is no longer held (the task was aborted or rescued).
    public func reportProgress(completed: Double, total: Double? = nil) async throws {
        let store = try requireStore("report progress")
        guard let lease = task.lease else { throw HandlerFailure("task \(task.id) holds no lease") }
        guard try await store.reportProgress(lease, completed: completed, total: total, now: time.now) else {
            throw HandlerFailure("task \(task.id) is no longer held by this attempt (aborted or rescued)")
        }
    }

    /// Waits until every child of this task is finished and returns them, oldest first. A handler that returns after
    /// this has handled its children's outcomes: its own outcome is the task's.
    /// - Throws: `CancellationError` when the attempt is cancelled (an abort), ``HandlerFailure`` when `timeout`
    ///   seconds pass first.
    public func waitForChildren(timeout: Double? = nil) async throws -> [TaskRecord] {
        let store = try requireStore("wait for children")
        let changes = store.changes()
        let deadline = timeout.map { time.now.addingTimeInterval($0) }
        while true {
            let seen = changes.generation
            let children = try await self.children(in: store)
            if children.allSatisfy(\.state.isFinal) { return children }
            try Task.checkCancellation()
            if let deadline, time.now >= deadline {
                let open = children.filter { !$0.state.isFinal }.count
                throw HandlerFailure("\(open) of \(children.count) children of task \(task.id) are unfinished after \(timeout ?? 0) s")
            }
            // Re-checked at least every second: another process's change can slip between the read and the wait.
            let next = time.now.addingTimeInterval(1)
            _ = await changes.wait(beyond: seen, until: deadline.map { min($0, next) } ?? next, time: time)
        }
    }

    /// Every child of this task, oldest first.
    private func children(in store: any TaskStore) async throws -> [TaskRecord] {
        var children: [TaskRecord] = []
        var cursor: TaskID?
        repeat {
            let page = try await store.list(TaskQuery(parentID: task.id, limit: 1_000, cursor: cursor))
            children += page.tasks
            cursor = page.nextCursor
        } while cursor != nil
        return children.sorted { $0.id < $1.id }
    }

    func requireStore(_ what: String) throws -> any TaskStore {
        guard let store else { throw HandlerFailure("cannot \(what): this handler's context has no store") }
        return store
    }
}

/// A handler's way to fail an attempt with a message of its choosing.
///
/// Any error a handler throws fails the attempt (and it is retried by the task's policy); this one only controls the
/// message.
public struct HandlerFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
