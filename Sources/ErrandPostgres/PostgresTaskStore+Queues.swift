public import ErrandCore
public import ErrandStore
public import Foundation
import PostgresNIO

extension PostgresTaskStore {
    public func retry(_ id: TaskID, now: Date) async throws -> TaskRecord {
        // The unique index allows one unfinished task per (queue, key): say so rather than fail on it.
        if let task = try await self.task(id), task.state.isFinal, let key = task.idempotencyKey,
            let other = try await rows(
                """
                SELECT id::text FROM \(unescaped: s).task WHERE queue = \(task.queue) AND idempotency_key = \(key)
                AND id::text <> \(id.rawValue) AND state IN ('scheduled', 'pending', 'running') LIMIT 1
                """
            ).first?.decode(String.self)
        {
            throw StoreError.keyTaken(retrying: task, by: other)
        }
        let task: TaskRecord
        do {
            task = try await applyOne(id, .retry, now: now)
        } catch let error as StoreError where error.message.contains("(SQLSTATE 23505)") {
            guard let stored = try await self.task(id) else { throw error }
            throw StoreError.keyTaken(retrying: stored, by: "enqueued meanwhile")
        }
        await notify([task.queue])
        return task
    }

    public func createQueue(_ name: String, retryPriorityDecrement: Int, now: Date) async throws -> QueueRecord {
        if let problem = QueueName.problem(name) { throw StoreError.invalid(InvalidField(field: "queue", reason: problem)) }
        do { try RetryPolicy.checkPriorityDecrement(retryPriorityDecrement, field: "retry_priority_decrement") } catch {
            throw StoreError.invalid(error)
        }
        let now = now.wholeMilliseconds
        let inserted = try await rows(
            """
            INSERT INTO \(unescaped: s).queue (name, state, created_at, updated_at, retry_priority_decrement)
            VALUES (\(name), 'active', \(now), \(now), \(retryPriorityDecrement))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """
        )
        guard !inserted.isEmpty else { throw StoreError(.alreadyExists, "queue \"\(name)\" already exists") }
        return QueueRecord(name: name, state: .active, createdAt: now, updatedAt: now, retryPriorityDecrement: retryPriorityDecrement)
    }

    public func queues() async throws -> [QueueRecord] {
        try await rows("SELECT \(unescaped: Self.queueColumns) FROM \(unescaped: s).queue ORDER BY name").map(Self.decodeQueue)
    }

    public func setQueueState(_ name: String, to state: QueueState, now: Date) async throws -> QueueRecord {
        let updated = try await rows(
            """
            UPDATE \(unescaped: s).queue SET state = \(state.rawValue), updated_at = \(now.wholeMilliseconds)
            WHERE name = \(name) RETURNING \(unescaped: Self.queueColumns)
            """
        )
        guard let row = updated.first else { throw StoreError.unknownQueue(name) }
        if state == .active { await notify([name]) }
        return try Self.decodeQueue(row)
    }

    public func deleteQueue(_ name: String) async throws -> Int {
        let deleted = try await transaction { connection in
            let found = try await self.rows("DELETE FROM \(unescaped: self.s).queue WHERE name = \(name) RETURNING name", on: connection)
            guard !found.isEmpty else { throw StoreError.unknownQueue(name) }
            let ids = try await self.rows("DELETE FROM \(unescaped: self.s).task WHERE queue = \(name) RETURNING id", on: connection)
                .map { try $0.decode(UUID.self) }
            try await self.deleteAttempts(of: ids, on: connection)
            return ids.count
        }
        await notify()
        return deleted
    }

    /// The columns ``decodeQueue(_:)`` reads, in order.
    static let queueColumns = "name, state, created_at, updated_at, retry_priority_decrement"

    static func decodeQueue(_ row: PostgresRow) throws -> QueueRecord {
        let (name, stateText, created, updated, decrement) = try row.decode((String, String, Date, Date, Int).self)
        guard let state = QueueState(rawValue: stateText) else {
            throw StoreError(.corrupt, "queue \(name) is corrupt: state holds \(stateText)")
        }
        return QueueRecord(
            name: name,
            state: state,
            createdAt: created.wholeMilliseconds,
            updatedAt: updated.wholeMilliseconds,
            retryPriorityDecrement: decrement
        )
    }

    // MARK: housekeeping

    public func trimAttemptLog(maxPerHandler: Int) async throws -> Int {
        try await rows(
            """
            DELETE FROM \(unescaped: s).attempt WHERE ctid IN (
                SELECT ctid FROM (
                    SELECT ctid, row_number() OVER (PARTITION BY handler ORDER BY finished_at DESC, task_id DESC, number DESC) AS rank
                    FROM \(unescaped: s).attempt
                ) ranked WHERE rank > \(max(0, maxPerHandler))
            ) RETURNING 1
            """
        ).count
    }

    /// Deletes the attempts of tasks just deleted on `connection`: the attempt table has no foreign key (its check
    /// cost a fifth of every finish write). A separate statement, so that its snapshot sees every attempt written
    /// before the tasks were deleted; none can be written after, since the deleted rows stay locked until commit.
    func deleteAttempts(of ids: [UUID], on connection: PostgresConnection) async throws {
        guard !ids.isEmpty else { return }
        _ = try await rows("DELETE FROM \(unescaped: s).attempt WHERE task_id = ANY(\(ids))", on: connection)
    }
}
