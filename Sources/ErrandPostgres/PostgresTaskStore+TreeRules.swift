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
        let open = try await withUnfinishedChildren(finishing.filter(\.hasChildren).map(\.id), on: connection)
        var awaiting = Set<TaskID>()
        for before in finishing where !before.isAwaitingChildren {
            guard open.contains(before.id) || (followUps[before.id] ?? 0) > 0, let after = changed[before.id] else { continue }
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
        var settled = Set<TaskID>()
        for parent in Set(finished.compactMap(\.parentID)).sorted(by: >) where try await settle(parent, now: now, on: connection) {
            settled.insert(parent)
        }
        // A task whose parent just ended needs no fold of its own: the parent's write folded the tree if it was last.
        let roots = finished.filter { task in
            (task.isInTree || (followUps[task.id] ?? 0) > 0) && !(task.parentID.map(settled.contains) ?? false)
        }.map { $0.rootID ?? $0.id }
        for root in Set(roots).sorted(by: >) { try await fold(root, on: connection) }
        return results
    }

    /// Which of `ids` have an unfinished child: one probe of the (parent_id, state) index each, however many children
    /// they have.
    private func withUnfinishedChildren(_ ids: [TaskID], on connection: PostgresConnection) async throws -> Set<TaskID> {
        guard !ids.isEmpty else { return [] }
        let rows = try await rows(
            """
            SELECT p FROM unnest(\(ids.compactMap(\.uuid))::uuid[]) AS p WHERE EXISTS (
                SELECT 1 FROM \(unescaped: s).task WHERE parent_id = p AND state IN ('scheduled', 'pending', 'running')
            )
            """,
            on: connection
        )
        return Set(try rows.map { TaskID(try $0.decode(UUID.self)) })
    }

    /// Ends `parentID` when it awaits its children and none is unfinished any more. The parent is locked before its
    /// children are read, so that of two children finishing together the later one sees the other finished.
    /// - Returns: whether it ended the parent (whose write then applied the rules upwards, folding included).
    private func settle(_ parentID: TaskID, now: Date, on connection: PostgresConnection) async throws -> Bool {
        guard let parent = try await lock([parentID], on: connection)[parentID], parent.awaitsChildren,
            try await withUnfinishedChildren([parentID], on: connection).isEmpty
        else { return false }
        let children = try await rows(
            "SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: s).task WHERE parent_id = \(parentID.uuid)",
            on: connection
        ).map(PostgresTaskRow.decode)
        guard let event = TaskTree.settlement(of: children) else { return false }
        _ = try await writeLocked([(parentID, event)], tasks: [parentID: parent], now: now, on: connection)
        return true
    }

    /// Folds, in the tree of `root` once the root is finished, what ``TaskTree/foldable()`` names, in SQL (see
    /// `SQLiteTaskStore.fold`): the tasks that did not complete and their ancestors are tainted; every other internal
    /// completed task folds, and its attempts go.
    private func fold(_ root: TaskID, on connection: PostgresConnection) async throws {
        let state = try await rows("SELECT state FROM \(unescaped: s).task WHERE id = \(root.uuid)", on: connection).first
        guard let state = try state?.decode(String.self), TaskState(rawValue: state)?.isFinal == true else { return }
        let folded = try await rows(
            """
            WITH RECURSIVE tainted (id, parent_id) AS (
                SELECT id, parent_id FROM \(unescaped: s).task WHERE root_id = \(root.uuid) AND state <> 'completed'
                UNION
                SELECT t.id, t.parent_id FROM \(unescaped: s).task t JOIN tainted ON t.id = tainted.parent_id
            )
            UPDATE \(unescaped: s).task SET folded = true, arguments = '{}'
            WHERE root_id = \(root.uuid) AND internal AND state = 'completed' AND NOT folded
              AND id NOT IN (SELECT id FROM tainted)
            RETURNING id
            """,
            on: connection
        ).map { try $0.decode(UUID.self) }
        // A statement of its own, by array: joined to the update, the planner (with the attempt table's statistics
        // from when it was small) scanned the table once per folded task.
        try await deleteAttempts(of: folded, on: connection)
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
