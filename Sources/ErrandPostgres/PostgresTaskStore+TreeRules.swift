import ErrandCore
import ErrandStore
import Foundation
import PostgresNIO

/// The tree rules (``TaskTree``) as locked writes apply them: a task that would finish awaits its unfinished
/// children, a parent that awaited settles when its last child finishes, and a tree folds once its root is finished.
///
/// Locks are taken newest id first (see ``lock(_:on:)``): a parent is locked after its child, so two transactions
/// working on one tree never wait for each other in a circle.
extension PostgresTaskStore {
    /// Applies `events` to `tasks` (locked on `connection`) with the tree rules and writes the results.
    /// `followUps` counts, per task, the children about to be inserted with its finish.
    func writeLocked(
        _ events: [(TaskID, TaskEvent)],
        tasks: [TaskID: TaskRecord],
        now: Date,
        followUps: [TaskID: Int] = [:],
        on connection: PostgresConnection
    ) async throws -> [FinishResult] {
        var (results, changed, attempts) = Self.transitions(events, tasks: tasks, now: now)
        let finishing = changed.values.compactMap { after -> TaskRecord? in
            guard after.state.isFinal, let before = tasks[after.id], !before.state.isFinal else { return nil }
            return before
        }
        guard !finishing.isEmpty else {
            try await writeBack(Array(changed.values), attempts: attempts, on: connection)
            return results
        }
        let counts = try await childCounts(finishing.filter(\.hasChildren).map(\.id), on: connection)
        var awaiting = Set<TaskID>()
        for before in finishing where !before.isAwaitingChildren {
            let unfinished = (counts[before.id]?.unfinished ?? 0) + (followUps[before.id] ?? 0)
            guard unfinished > 0, let after = changed[before.id] else { continue }
            let waiting = TaskTransition.awaitingChildren(TransitionOutput(task: after, endedAttempt: nil)).task
            if waiting != after {
                changed[before.id] = waiting
                awaiting.insert(before.id)
            }
        }
        if !awaiting.isEmpty {
            results = results.map { result in
                guard case .applied(let task, let attempt) = result, awaiting.contains(task.id), let saved = changed[task.id]
                else { return result }
                return .applied(task: saved, attempt: attempt)
            }
        }
        try await writeBack(Array(changed.values), attempts: attempts, on: connection)
        let finished = finishing.filter { !awaiting.contains($0.id) }
        for parent in Set(finished.compactMap(\.parentID)).sorted(by: >) {
            try await settle(parent, now: now, on: connection)
        }
        let roots = finished.filter { $0.isInTree || (followUps[$0.id] ?? 0) > 0 }.map { $0.rootID ?? $0.id }
        for root in Set(roots).sorted(by: >) { try await fold(root, on: connection) }
        return results
    }

    /// How many children each of `ids` has, and how many of them are unfinished.
    private func childCounts(_ ids: [TaskID], on connection: PostgresConnection) async throws -> [TaskID: (all: Int, unfinished: Int)] {
        guard !ids.isEmpty else { return [:] }
        var counts: [TaskID: (all: Int, unfinished: Int)] = [:]
        for row in try await rows(
            """
            SELECT parent_id, count(*), count(*) FILTER (WHERE state NOT IN ('completed', 'failed', 'cancelled', 'dead'))
            FROM \(unescaped: s).task WHERE parent_id = ANY(\(ids.compactMap(\.uuid))) GROUP BY parent_id
            """,
            on: connection
        ) {
            let (parent, all, unfinished) = try row.decode((UUID, Int, Int).self)
            counts[TaskID(parent)] = (all, unfinished)
        }
        return counts
    }

    /// Ends `parentID` when it awaits its children and none is unfinished any more. The parent is locked before its
    /// children are read, so that of two children finishing together the later one sees the other finished.
    private func settle(_ parentID: TaskID, now: Date, on connection: PostgresConnection) async throws {
        guard let parent = try await lock([parentID], on: connection)[parentID], parent.awaitsChildren,
            try await childCounts([parentID], on: connection)[parentID]?.unfinished ?? 0 == 0
        else { return }
        let children = try await rows(
            "SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: s).task WHERE parent_id = \(parentID.uuid)",
            on: connection
        ).map(PostgresTaskRow.decode)
        guard let event = TaskTree.settlement(of: children) else { return }
        _ = try await writeLocked([(parentID, event)], tasks: [parentID: parent], now: now, on: connection)
    }

    /// Folds what ``TaskTree/foldable()`` names in the tree of `root`, once the root is finished.
    private func fold(_ root: TaskID, on connection: PostgresConnection) async throws {
        let state = try await rows("SELECT state FROM \(unescaped: s).task WHERE id = \(root.uuid)", on: connection).first
        guard let state = try state?.decode(String.self), TaskState(rawValue: state)?.isFinal == true else { return }
        let tree = TaskTree(try await loadTree(root, on: connection))
        let folded = tree.foldable().compactMap(\.uuid)
        guard !folded.isEmpty else { return }
        _ = try await rows(
            "UPDATE \(unescaped: s).task SET folded = true, arguments = '{}' WHERE id = ANY(\(folded))",
            on: connection
        )
        _ = try await rows("DELETE FROM \(unescaped: s).attempt WHERE task_id = ANY(\(folded))", on: connection)
    }

    /// Every task of the tree whose root is `root`, in id order.
    func loadTree(_ root: TaskID, on connection: PostgresConnection?) async throws -> [TaskRecord] {
        try await rows(
            """
            SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: s).task
            WHERE id = \(root.uuid) OR root_id = \(root.uuid) ORDER BY id
            """,
            on: connection
        ).map(PostgresTaskRow.decode)
    }
}
