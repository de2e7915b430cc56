public import ErrandCore
public import ErrandStore
public import Foundation
import PostgresNIO

/// Dead letters: task rows that could not be read, moved aside with their raw columns.
extension PostgresTaskStore {
    /// Moves the rows `corrupt` (id, why) into the dead letters; their attempts stay. When they were `claimed`
    /// just now, the claim is undone first (the row was leased before it could be read), so a redriven task waits to
    /// be claimed again.
    func moveToDeadLetters(_ corrupt: [(UUID, String)], now: Date, claimed: Bool = true) async throws {
        let ids = corrupt.map(\.0)
        let errors = corrupt.map(\.1)
        if claimed {
            try await undoClaim(of: ids)
        }
        _ = try await rows(
            """
            WITH moved AS (DELETE FROM \(unescaped: s).task WHERE id = ANY(\(ids)) RETURNING *)
            INSERT INTO \(unescaped: s).dead_letter (id, queue, body, error, created_at)
            SELECT gen_random_uuid(), moved.queue, row_to_json(moved)::text, e.error, \(now.wholeMilliseconds)
            FROM moved JOIN unnest(\(ids)::uuid[], \(errors)::text[]) AS e(id, error) ON e.id = moved.id
            """
        )
    }

    private func undoClaim(of ids: [UUID]) async throws {
        _ = try await rows(
            """
            UPDATE \(unescaped: s).task SET state = 'pending', attempt = attempt - 1, charged_attempts = charged_attempts - 1,
                worker = NULL, started_at = NULL, lease_expires_at = NULL
            WHERE id = ANY(\(ids)) AND state = 'running'
            """
        )
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await rows(
            """
            SELECT id::text, queue, body, error, created_at FROM \(unescaped: s).dead_letter
            ORDER BY created_at DESC, id LIMIT \(max(1, limit))
            """
        ).map { row in
            let (id, queue, body, error, createdAt) = try row.decode((String, String?, String, String, Date).self)
            return DeadLetter(id: id, queue: queue, body: body, error: error, createdAt: createdAt.wholeMilliseconds)
        }
    }

    public func redrive(_ id: String, body: String?, now: Date) async throws -> TaskRecord {
        guard let uuid = UUID(uuidString: id) else { throw StoreError(.notFound, "no dead letter with id \(id)") }
        let task = try await transaction { connection in
            guard
                let stored = try await self.rows("SELECT body FROM \(unescaped: self.s).dead_letter WHERE id = \(uuid) FOR UPDATE", on: connection)
                    .first.map({ try $0.decode(String.self) })
            else { throw StoreError(.notFound, "no dead letter with id \(id)") }
            let text = body ?? stored
            _ = try DeadLetter.columns(of: text, allowed: Self.columnNames)
            let restored: [PostgresRow]
            do {
                restored = try await self.rows(
                    """
                    INSERT INTO \(unescaped: self.s).task SELECT * FROM json_populate_record(NULL::\(unescaped: self.s).task, \(text)::json)
                    RETURNING \(unescaped: PostgresTaskRow.columnList)
                    """,
                    on: connection
                )
            } catch let error as StoreError {
                // Data errors (SQLSTATE 22xxx: a value of the wrong type) and constraint errors (23xxx) are the
                // body's; anything else (the server went away) is not.
                if error.message.contains("(SQLSTATE 23505)") { throw StoreError(.alreadyExists, "dead letter \(id): a task with its id exists") }
                guard error.message.contains("(SQLSTATE 22") || error.message.contains("(SQLSTATE 23") else { throw error }
                throw StoreError(.invalid, "dead letter \(id) cannot be put back: \(error.message)")
            }
            guard let row = restored.first else { throw StoreError(.invalid, "dead letter \(id) did not come back") }
            let task: TaskRecord
            do {
                task = try PostgresTaskRow.decode(row)
            } catch let error as StoreError {
                throw StoreError(.invalid, "dead letter \(id) still cannot be read: \(error.message)")
            }
            _ = try await self.rows("DELETE FROM \(unescaped: self.s).dead_letter WHERE id = \(uuid)", on: connection)
            return task
        }
        await notify([task.queue])
        return task
    }

    /// The task table's column names, as `row_to_json` writes them.
    static let columnNames = TaskColumns.task
}
