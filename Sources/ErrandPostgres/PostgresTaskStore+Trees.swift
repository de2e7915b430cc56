public import ErrandCore
import ErrandStore
public import Foundation
import PostgresNIO

/// Task trees: abort, the tree read, modules, settings, and deleting whole trees (TTL, drain, launch cap).
extension PostgresTaskStore {
    public func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord {
        let now = now.wholeMilliseconds
        let task = try await transaction { connection -> TaskRecord in
            guard let task = try await self.task(id, on: connection) else { throw StoreError.notFound(id) }
            guard task.isAbortable else { throw StoreError.notAbortable(task) }
            // The task and everything newer in its tree, newest first (the order every locked write keeps).
            let root = task.rootID ?? task.id
            let locked = try await self.rows(
                """
                SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: self.s).task
                WHERE (id = \(root.uuid) OR root_id = \(root.uuid)) AND id >= \(id.uuid)
                ORDER BY id DESC FOR UPDATE
                """,
                on: connection
            ).map(PostgresTaskRow.decode)
            guard let current = locked.first(where: { $0.id == id }) else { throw StoreError.notFound(id) }
            let cancelled: TaskRecord
            switch try await self.writeLocked([(id, .cancel(reason: reason))], tasks: [id: current], now: now, on: connection)[0] {
            case .applied(let task, _): cancelled = task
            case .refused(let refusal): throw StoreError.refused(refusal)
            case .notFound(let id): throw StoreError.notFound(id)
            }
            let cascade = TaskTree.abortReason(of: id)
            for next in TaskTree(locked).abortCascade(from: id) {
                // Read again: cancelling one task can settle another (a parent awaiting it) in this transaction.
                guard let fresh = try await self.task(next, on: connection), !fresh.state.isFinal else { continue }
                _ = try await self.writeLocked([(next, .cancel(reason: cascade))], tasks: [next: fresh], now: now, on: connection)
            }
            return cancelled
        }
        await notify()
        return task
    }

    /// One task read on `connection`.
    func task(_ id: TaskID, on connection: PostgresConnection) async throws -> TaskRecord? {
        try await rows(
            "SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: s).task WHERE id = \(id.uuid)",
            on: connection
        ).first.map(PostgresTaskRow.decode)
    }

    public func tree(of id: TaskID) async throws -> [TaskRecord] {
        guard let task = try await task(id) else { throw StoreError.notFound(id) }
        return try await loadTree(task.rootID ?? task.id, on: nil)
    }

    public func modules() async throws -> [String] {
        // A module stays known once used (its sequence numbers live on), drained or not.
        try await rows("SELECT name FROM \(unescaped: s).module UNION SELECT module FROM \(unescaped: s).task WHERE module IS NOT NULL ORDER BY 1")
            .map {
                try $0.decode(String.self)
            }
    }

    public func drainModule(_ module: String) async throws -> Int {
        try await deleteTrees(
            """
            SELECT id FROM \(s).task t WHERE module = $1 AND parent_id IS NULL AND locality = 'local'
              AND state IN ('completed', 'failed', 'cancelled', 'dead') AND \(noUnfinishedDescendant)
            """,
            binds: [module]
        )
    }

    public func prune(finishedBefore: Date, userTasksFinishedBefore: Date, limit: Int) async throws -> Int {
        let live = try await deleteTrees(
            """
            SELECT id FROM \(s).task t
            WHERE finished_at IS NOT NULL AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
              AND finished_at < CASE WHEN user_task THEN $2::timestamptz ELSE $1::timestamptz END AND \(noUnfinishedDescendant)
            ORDER BY finished_at LIMIT $3
            """,
            binds: [finishedBefore.wholeMilliseconds, userTasksFinishedBefore.wholeMilliseconds, limit]
        )
        guard live < limit else { return live }
        // Archived trees are finished whole: the root's time decides.
        let archived = try await deleteTrees(
            """
            SELECT id FROM \(s).task_archive
            WHERE parent_id IS NULL AND finished_at < CASE WHEN user_task THEN $2::timestamptz ELSE $1::timestamptz END
            ORDER BY finished_at LIMIT $3
            """,
            binds: [finishedBefore.wholeMilliseconds, userTasksFinishedBefore.wholeMilliseconds, limit - live],
            fromArchive: true
        )
        return live + archived
    }

    public func archive(finishedBefore: Date, limit: Int) async throws -> Int {
        try await deleteTrees(
            """
            SELECT id FROM \(s).task t
            WHERE finished_at IS NOT NULL AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
              AND finished_at < $1::timestamptz AND \(noUnfinishedDescendant)
            ORDER BY finished_at LIMIT $2
            """,
            binds: [finishedBefore.wholeMilliseconds, limit],
            archiving: true
        )
    }

    public func delete(_ id: TaskID) async throws -> Int {
        guard let uuid = id.uuid else { throw StoreError.notFound(id) }
        let deleted = try await deleteTrees(
            """
            SELECT id FROM \(s).task t
            WHERE id = $1 AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead') AND \(noUnfinishedDescendant)
            """,
            binds: [uuid]
        )
        if deleted > 0 { return deleted }
        let archived = try await deleteTrees(
            "SELECT id FROM \(s).task_archive WHERE id = $1 AND parent_id IS NULL",
            binds: [uuid],
            fromArchive: true
        )
        if archived > 0 { return archived }
        guard let task = try await task(id) else { throw StoreError.notFound(id) }
        throw StoreError.notDeletable(task)
    }

    public func trimLaunches(maxPerModule: Int) async throws -> Int {
        // Rank each module's finished roots newest first; unfinished ones are never ranked, so never trimmed.
        try await deleteTrees(
            """
            SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY module ORDER BY id DESC) AS rank FROM \(s).task t
                WHERE module IS NOT NULL AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
                  AND \(noUnfinishedDescendant)
            ) ranked WHERE rank > $1
            """,
            binds: [max(0, maxPerModule)]
        )
    }

    /// Holds for a root `t` none of whose descendants is unfinished.
    private var noUnfinishedDescendant: String {
        """
        NOT EXISTS (
            SELECT 1 FROM \(s).task d WHERE d.root_id = t.id AND d.state NOT IN ('completed', 'failed', 'cancelled', 'dead')
        )
        """
    }

    /// Deletes the trees whose roots `select` returns, with their attempts, in one transaction.
    /// - Returns: the number of tasks deleted.
    /// Deletes the trees whose roots `select` returns (and their attempts) in one transaction; with `archiving`,
    /// moves them to the archive instead (their attempts stay). With `fromArchive`, `select` names archived roots,
    /// deleted from the archive with their attempts.
    /// - Returns: the number of tasks deleted (or archived).
    private func deleteTrees(
        _ select: String,
        binds values: [any PostgresEncodable & Sendable],
        archiving: Bool = false,
        fromArchive: Bool = false
    ) async throws -> Int {
        var binds = PostgresBindings()
        for value in values { try binds.append(value) }
        let table = "\(s).\(fromArchive ? "task_archive" : "task")"
        let columns = TaskColumns.task.joined(separator: ", ")
        let removed = """
            roots AS (SELECT id FROM \(table) WHERE id IN (\(select)) FOR UPDATE SKIP LOCKED),
            removed AS (
                DELETE FROM \(table) WHERE id IN (SELECT id FROM roots) OR root_id IN (SELECT id FROM roots)
                RETURNING \(archiving ? columns : "id")
            )
            """
        let sql =
            archiving
            ? "WITH \(removed) INSERT INTO \(s).task_archive (\(columns)) SELECT \(columns) FROM removed RETURNING id"
            : "WITH \(removed) SELECT id FROM removed"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await transaction { connection in
            let ids = try await self.rows(query, on: connection).map { try $0.decode(UUID.self) }
            if !archiving { try await self.deleteAttempts(of: ids, on: connection) }
            return ids.count
        }
    }

    public func setting(_ name: String) async throws -> String? {
        try await rows("SELECT value FROM \(unescaped: s).setting WHERE name = \(name)").first?.decode(String.self)
    }

    public func setSetting(_ name: String, to value: String?, now: Date) async throws {
        if let value {
            _ = try await rows(
                """
                INSERT INTO \(unescaped: s).setting (name, value, updated_at) VALUES (\(name), \(value), \(now.wholeMilliseconds))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """
            )
        } else {
            _ = try await rows("DELETE FROM \(unescaped: s).setting WHERE name = \(name)")
        }
    }
}
