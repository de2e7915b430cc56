import Foundation

/// The tasks of one tree (a root and its descendants, as stored) and the rules that read it. Pure.
///
/// The rules, shared by every store and interface:
/// - **Completion.** A task whose handler succeeds while some of its children are unfinished stays `running`
///   without a lease (``TaskRecord/isAwaitingChildren``). When its last child finishes it ends `completed` if every
///   child completed, otherwise `failed` ("2 of its 3 child tasks did not succeed"). A handler that waits for its
///   children itself and returns after they all finished has handled their outcome: its own outcome stands.
/// - **Folding.** Once the root is finished, each internal non-root task (a handler's sub-task; see
///   ``TaskRecord/isInternal``) that completed and whose descendants all completed is folded: its arguments and attempts are dropped and general listings leave it out, but its tree (and a listing
///   of its parent's children) keeps its essentials: state, times, result, progress, labels. A task that did not
///   complete, and every ancestor of one, keeps its full record, and so does a child that is not internal (a
///   follow-up from `postHooks.json`, which pftaskqueue shows like any task). Folding waits for the root so that a running parent
///   can still read its children's arguments and attempts.
/// - **Progress.** A task's progress is what its handler reported (when it reported a total); otherwise the sum
///   over its children; otherwise 1 of 1 when it completed and 0 of 1 before.
public struct TaskTree: Sendable {
    /// Every task of the tree by id.
    public let tasks: [TaskID: TaskRecord]
    /// Each task's children, oldest first.
    public let children: [TaskID: [TaskID]]

    /// A tree of `records`: a root and (some of) its descendants, in any order.
    public init(_ records: [TaskRecord]) {
        var tasks: [TaskID: TaskRecord] = [:]
        var children: [TaskID: [TaskID]] = [:]
        for record in records { tasks[record.id] = record }
        for record in records.sorted(by: { $0.id < $1.id }) {
            if let parent = record.parentID { children[parent, default: []].append(record.id) }
        }
        self.tasks = tasks
        self.children = children
    }

    /// The tree's root, when it is among the tasks.
    public var root: TaskRecord? { tasks.values.first { $0.parentID == nil } }

    /// The task `id` and all of its descendants, breadth first, each level's children oldest first.
    public func breadthFirst(from id: TaskID) -> [TaskRecord] {
        guard let start = tasks[id] else { return [] }
        var order = [start]
        var index = 0
        while index < order.count {
            for child in children[order[index].id] ?? [] {
                if let record = tasks[child] { order.append(record) }
            }
            index += 1
        }
        return order
    }

    /// The children of `id`, oldest first.
    public func children(of id: TaskID) -> [TaskRecord] {
        (children[id] ?? []).compactMap { tasks[$0] }
    }

    /// The progress of `id` by the rule above.
    public func progress(of id: TaskID) -> TaskProgress {
        guard let task = tasks[id] else { return TaskProgress(completed: 0, total: 1) }
        if let total = task.progressTotal {
            return TaskProgress(completed: task.progressCompleted ?? 0, total: total)
        }
        let kids = children[id] ?? []
        if kids.isEmpty {
            return TaskProgress(completed: task.state == .completed ? 1 : 0, total: 1)
        }
        return kids.reduce(TaskProgress(completed: 0, total: 0)) { sum, child in
            let part = progress(of: child)
            return TaskProgress(completed: sum.completed + part.completed, total: sum.total + part.total)
        }
    }

    /// The state of `id` in the task manager's words (``TaskRecord/managerState``); a global task's, until it ends,
    /// derived from its parts: `running` once one of them has started, `created` before.
    public func managerState(of id: TaskID) -> String {
        guard let task = tasks[id] else { return "created" }
        guard task.isVirtual, !task.state.isFinal else { return task.managerState }
        let started = children(of: id).contains { $0.state == .running || $0.state.isFinal }
        return started ? "running" : "created"
    }

    /// The tasks to fold now, by the rule above: none while the root is unfinished.
    public func foldable() -> [TaskID] {
        guard let root, root.state.isFinal else { return [] }
        var folded: [TaskID] = []
        // Whether the subtree under `id` completed throughout; collects the foldable tasks on the way.
        func completedThroughout(_ id: TaskID) -> Bool {
            var all = tasks[id]?.state == .completed
            for child in children[id] ?? [] where !completedThroughout(child) { all = false }
            if all, let task = tasks[id], task.parentID != nil, task.isInternal, !task.isFolded { folded.append(id) }
            return all
        }
        _ = completedThroughout(root.id)
        return folded.sorted()
    }

    /// The descendants an abort of `id` cancels, parents before children: every abortable one, except below a task
    /// that is not abortable (it keeps running, and so do its descendants). Finished ones are listed too; a store
    /// skips them as it reaches them (cancelling one task can end another in the same transaction).
    public func abortCascade(from id: TaskID) -> [TaskID] {
        var order: [TaskID] = []
        var queue = children(of: id)
        var index = 0
        while index < queue.count {
            let next = queue[index]
            index += 1
            guard next.isAbortable else { continue }
            order.append(next.id)
            queue += children(of: next.id)
        }
        return order
    }

    /// The message of a descendant cancelled with an abort of `id`.
    public static func abortReason(of id: TaskID) -> String { "aborted with task \(id)" }

    /// What ends a task awaiting its children once none of `children` is unfinished; `nil` while one is.
    public static func settlement(of children: [TaskRecord]) -> TaskEvent? {
        guard children.allSatisfy(\.state.isFinal) else { return nil }
        let failed = children.filter { $0.state != .completed }.sorted { $0.id < $1.id }
        return .childrenFinished(failed: failed.count, of: children.count, firstFailed: failed.first?.id)
    }
}

/// How far a task has come, in its own units.
public struct TaskProgress: Sendable, Hashable {
    public var completed: Double
    public var total: Double

    public init(completed: Double, total: Double) {
        self.completed = completed
        self.total = total
    }
}

extension TaskRecord {
    /// Makes this new task a child of `parent`: it joins the parent's tree and operation (root, sequence number)
    /// and, when it names no module, the parent's module.
    public mutating func joinTree(of parent: TaskRecord) {
        parentID = parent.id
        rootID = parent.rootID ?? parent.id
        if module == nil { module = parent.module }
        self.sequenceNumber = parent.sequenceNumber
    }
}

extension TaskRecord {
    /// Whether the task's row is a global task's own: no worker claims it (``TaskTreeFields/Values/targetWorker`` is empty); it stands for
    /// its per-node parts and ends when the last of them does.
    public var isVirtual: Bool { self.locality == .global && self.targetWorker == "" }

    /// Whether the task ends when its children do: its handler succeeded with children unfinished, or it is virtual
    /// and unfinished.
    public var awaitsChildren: Bool { isAwaitingChildren || (isVirtual && !state.isFinal) }

    /// Whether the task belongs to a tree: it has a parent or has had a child.
    public var isInTree: Bool { parentID != nil || self.hasChildren }
}

extension TaskRecord {
    /// The state in ScyllaDB's task manager words: scheduled and pending are `created`, running is `running`,
    /// completed is `done`, and failed, cancelled and dead are `failed`.
    public var managerState: String {
        switch state {
        case .scheduled, .pending: "created"
        case .running: "running"
        case .completed: "done"
        case .failed, .cancelled, .dead: "failed"
        }
    }

    /// Why a task that did not complete ended (ScyllaDB's `error`): its last error, or an abort's reason; empty
    /// otherwise.
    public var managerError: String {
        switch state {
        case .failed, .dead: lastError ?? message ?? state.rawValue
        case .cancelled: message ?? "aborted"
        default: ""
        }
    }
}
