import ErrandCore
import ErrandStore
import Foundation
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

    public func prune(finishedBefore: Date, limit: Int) async throws -> Int {
        try await deleteFinished(
            """
            SELECT id FROM errand_task
            WHERE finished_at IS NOT NULL AND finished_at < ? AND state IN ('completed', 'failed', 'cancelled', 'dead')
            ORDER BY finished_at LIMIT ?
            """,
            arguments: [finishedBefore.millisecondsSince1970, limit]
        )
    }

    public func trimLaunches(maxPerModule: Int) async throws -> Int {
        // Rank each module's finished tasks newest first; unfinished ones are never ranked, so never trimmed.
        try await deleteFinished(
            """
            SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY module ORDER BY id DESC) AS rank FROM errand_task
                WHERE module IS NOT NULL AND state IN ('completed', 'failed', 'cancelled', 'dead')
            ) WHERE rank > ?
            """,
            arguments: [max(0, maxPerModule)]
        )
    }

    /// Deletes the tasks (and their attempts) whose ids `select` returns, in one transaction.
    private func deleteFinished(_ select: String, arguments: StatementArguments) async throws -> Int {
        try await write { db in
            let ids = try String.fetchAll(db, sql: select, arguments: arguments)
            guard !ids.isEmpty else { return 0 }
            let list = Self.placeholders(ids.count)
            try db.execute(sql: "DELETE FROM errand_attempt WHERE task_id IN (\(list))", arguments: StatementArguments(ids))
            try db.execute(sql: "DELETE FROM errand_task WHERE id IN (\(list))", arguments: StatementArguments(ids))
            return db.changesCount
        }
    }
}
