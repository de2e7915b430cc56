import ErrandCore
import ErrandStore
import Foundation
import GRDB

extension SQLiteTaskStore {
    /// The unfinished task holding an idempotency key in a queue; the partial unique index makes it at most one.
    static let selectByIdempotencyKey = """
        SELECT \(TaskRow.columnList) FROM errand_task
        WHERE queue = ? AND idempotency_key = ? AND state IN ('scheduled', 'pending', 'running')
        """

    static let selectQueueState = "SELECT state FROM errand_queue WHERE name = ?"

    public func enqueue(_ tasks: [NewTask], now: Date) async throws -> [EnqueueResult] {
        for (index, task) in tasks.enumerated() {
            do { try task.validate() } catch { throw StoreError.invalid(error, index: tasks.count > 1 ? index : nil) }
        }
        let ids = TaskIDGenerator.shared
        let results = try await write { db in
            var checkedQueues: [String: Bool] = [:]
            var results: [EnqueueResult] = []
            results.reserveCapacity(tasks.count)
            let insert = try db.cachedStatement(sql: TaskRow.insert)
            for new in tasks {
                if checkedQueues[new.queue] == nil {
                    try Self.requireActiveQueue(db, new.queue)
                    checkedQueues[new.queue] = true
                }
                if let key = new.idempotencyKey {
                    let statement = try db.cachedStatement(sql: Self.selectByIdempotencyKey)
                    let existing = try TaskRow.fetchAll(db, statement) { raw in
                        raw.bind(new.queue)
                        raw.bind(key)
                    }
                    if let existing = existing.first {
                        results.append(.existing(existing))
                        continue
                    }
                }
                var record = TaskTransition.enqueue(new, id: ids.next(now: now), now: now)
                if let parentID = new.parentID {
                    guard let parent = try Self.load(db, parentID) else {
                        throw StoreError(.invalid, "parent_id: no task with id \(parentID)")
                    }
                    record.rootID = parent.rootID ?? parent.id
                }
                try RawStatement.execute(db, insert) { TaskRow.bindAll(record, to: &$0) }
                results.append(.created(record))
            }
            return results
        }
        if results.contains(where: \.isNew) { changeSignal.notify() }
        return results
    }

    /// Throws unless `queue` exists and is active.
    static func requireActiveQueue(_ db: Database, _ queue: String) throws {
        let state = try String.fetchOne(db.cachedStatement(sql: selectQueueState), arguments: [queue])
        guard let state else { throw StoreError.unknownQueue(queue) }
        guard state == QueueState.active.rawValue else { throw StoreError.queueSuspended(queue) }
    }
}

extension TaskIDGenerator {
    /// The generator every store in this process shares, so ids stay increasing across stores.
    static let shared = TaskIDGenerator()
}
