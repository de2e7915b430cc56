import ErrandCore
public import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    public func createQueue(_ name: String, retryPriorityDecrement: Int, now: Date) async throws -> QueueRecord {
        if let problem = QueueName.problem(name) { throw StoreError.invalid(InvalidField(field: "queue", reason: problem)) }
        do { try RetryPolicy.checkPriorityDecrement(retryPriorityDecrement, field: "retry_priority_decrement") } catch {
            throw StoreError.invalid(error)
        }
        let record = QueueRecord(
            name: name,
            state: .active,
            createdAt: now.wholeMilliseconds,
            updatedAt: now.wholeMilliseconds,
            retryPriorityDecrement: retryPriorityDecrement
        )
        return try await write { db in
            if try String.fetchOne(db, sql: Self.selectQueueState, arguments: [name]) != nil {
                throw StoreError(.alreadyExists, "queue \"\(name)\" already exists")
            }
            try db.execute(
                sql: "INSERT INTO errand_queue (name, state, created_at, updated_at, retry_priority_decrement) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    name, record.state.rawValue, record.createdAt.millisecondsSince1970, record.updatedAt.millisecondsSince1970,
                    retryPriorityDecrement,
                ]
            )
            return record
        }
    }

    public func queues() async throws -> [QueueRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.queueColumns) FROM errand_queue ORDER BY name").map(Self.decodeQueue)
        }
    }

    public func setQueueState(_ name: String, to state: QueueState, now: Date) async throws -> QueueRecord {
        let record = try await write { db in
            try db.execute(
                sql: "UPDATE errand_queue SET state = ?, updated_at = ? WHERE name = ?",
                arguments: [state.rawValue, now.millisecondsSince1970, name]
            )
            guard db.changesCount > 0 else { throw StoreError.unknownQueue(name) }
            let row = try Row.fetchOne(db, sql: "SELECT \(Self.queueColumns) FROM errand_queue WHERE name = ?", arguments: [name])
            guard let row else { throw StoreError.unknownQueue(name) }
            return try Self.decodeQueue(row)
        }
        if state == .active { changeSignal.notify() }
        return record
    }

    public func deleteQueue(_ name: String) async throws -> Int {
        let deleted = try await write { db in
            guard try String.fetchOne(db, sql: Self.selectQueueState, arguments: [name]) != nil else {
                throw StoreError.unknownQueue(name)
            }
            try db.execute(
                sql: "DELETE FROM errand_attempt WHERE task_id IN (SELECT id FROM errand_task WHERE queue = ?)",
                arguments: [name]
            )
            try db.execute(sql: "DELETE FROM errand_task WHERE queue = ?", arguments: [name])
            let deleted = db.changesCount
            try db.execute(sql: "DELETE FROM errand_queue WHERE name = ?", arguments: [name])
            return deleted
        }
        changeSignal.notify()
        return deleted
    }

    /// The columns ``decodeQueue(_:)`` reads, in order.
    static let queueColumns = "name, state, created_at, updated_at, retry_priority_decrement"

    static func decodeQueue(_ row: Row) throws -> QueueRecord {
        let name: String = row[0]
        let stateText: String = row[1]
        guard let state = QueueState(rawValue: stateText) else {
            throw StoreError(.corrupt, "queue \(name) is corrupt: state holds \(stateText)")
        }
        return QueueRecord(
            name: name,
            state: state,
            createdAt: Date(millisecondsSince1970: row[2]),
            updatedAt: Date(millisecondsSince1970: row[3]),
            retryPriorityDecrement: row[4]
        )
    }
}
