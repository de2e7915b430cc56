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
        try await write { db in
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM errand_task
                    WHERE finished_at IS NOT NULL AND finished_at < ? AND state IN ('completed', 'failed', 'cancelled', 'dead')
                    ORDER BY finished_at LIMIT ?
                    """,
                arguments: [finishedBefore.millisecondsSince1970, limit]
            )
            guard !ids.isEmpty else { return 0 }
            let list = Self.placeholders(ids.count)
            try db.execute(sql: "DELETE FROM errand_attempt WHERE task_id IN (\(list))", arguments: StatementArguments(ids))
            try db.execute(sql: "DELETE FROM errand_task WHERE id IN (\(list))", arguments: StatementArguments(ids))
            return db.changesCount
        }
    }
}
