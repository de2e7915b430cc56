public import ErrandCore
import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    public func trimAttemptLog(maxPerHandler: Int) async throws -> Int {
        try await write { db in
            // Rank each handler's attempts newest first and drop everything past the cap.
            try db.execute(
                sql: """
                    DELETE FROM errand_attempt WHERE rowid IN (
                        SELECT rowid FROM (
                            SELECT rowid, ROW_NUMBER() OVER (PARTITION BY handler ORDER BY finished_at DESC, rowid DESC) AS rank
                            FROM errand_attempt
                        ) WHERE rank > ?
                    )
                    """,
                arguments: [max(0, maxPerHandler)]
            )
            return db.changesCount
        }
    }

    public func prune(finishedBefore: Date, userTasksFinishedBefore: Date, limit: Int) async throws -> Int {
        let cutoffs: StatementArguments = [finishedBefore.millisecondsSince1970, userTasksFinishedBefore.millisecondsSince1970, limit]
        let live = try await deleteTrees(
            """
            SELECT id FROM errand_task t INDEXED BY errand_task_finished
            WHERE finished_at IS NOT NULL AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
              AND finished_at < CASE WHEN user_task = 0 THEN ? ELSE ? END AND \(Self.noUnfinishedDescendant)
            ORDER BY finished_at LIMIT ?
            """,
            arguments: cutoffs
        )
        guard live < limit else { return live }
        // Archived trees are finished whole: the root's time decides.
        let archived = try await deleteTrees(
            """
            SELECT id FROM errand_task_archive INDEXED BY errand_task_archive_finished
            WHERE parent_id IS NULL AND finished_at < CASE WHEN user_task = 0 THEN ? ELSE ? END ORDER BY finished_at LIMIT ?
            """,
            arguments: [finishedBefore.millisecondsSince1970, userTasksFinishedBefore.millisecondsSince1970, limit - live],
            fromArchive: true
        )
        return live + archived
    }

    public func archive(finishedBefore: Date, limit: Int) async throws -> Int {
        try await deleteTrees(
            """
            SELECT id FROM errand_task t INDEXED BY errand_task_finished
            WHERE finished_at IS NOT NULL AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
              AND finished_at < ? AND \(Self.noUnfinishedDescendant)
            ORDER BY finished_at LIMIT ?
            """,
            arguments: [finishedBefore.millisecondsSince1970, limit],
            archiving: true
        )
    }

    public func delete(_ id: TaskID) async throws -> Int {
        let deleted = try await deleteTrees(
            """
            SELECT id FROM errand_task t
            WHERE id = ? AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead') AND \(Self.noUnfinishedDescendant)
            """,
            arguments: [id.rawValue]
        )
        if deleted > 0 { return deleted }
        let archived = try await deleteTrees(
            "SELECT id FROM errand_task_archive WHERE id = ? AND parent_id IS NULL",
            arguments: [id.rawValue],
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
                SELECT id, ROW_NUMBER() OVER (PARTITION BY module ORDER BY id DESC) AS rank FROM errand_task t
                WHERE module IS NOT NULL AND parent_id IS NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
                  AND \(Self.noUnfinishedDescendant)
            ) WHERE rank > ?
            """,
            arguments: [max(0, maxPerModule)]
        )
    }
}
