public import ErrandCore
import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    public func retry(_ id: TaskID, now: Date) async throws -> TaskRecord {
        let task = try await writeTasks { db, log in
            // The unique index allows one unfinished task per (queue, key): say so rather than fail on it.
            if let task = try Self.load(db, id), task.state.isFinal, let key = task.idempotencyKey,
                let other = try String.fetchOne(
                    db,
                    sql: """
                        SELECT id FROM errand_task WHERE queue = ? AND idempotency_key = ? AND id <> ?
                        AND state IN ('scheduled', 'pending', 'running') LIMIT 1
                        """,
                    arguments: [task.queue, key, id.rawValue]
                )
            {
                throw StoreError.keyTaken(retrying: task, by: other)
            }
            return try Self.transition(db, log, id, .retry, now: now)
        }
        changeSignal.notify()
        return task
    }
}
