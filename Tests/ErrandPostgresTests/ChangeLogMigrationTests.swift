import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import PostgresNIO
import Testing

@testable import ErrandPostgres

/// Migration 9 turns the row-per-change log of migration 6 into rows per statement, keeping what was logged.
@Suite(.timeLimit(.minutes(5))) struct ChangeLogMigrationTests {
    @Test func aSchemaAtVersion8KeepsItsLoggedChangesAndTheirCursors() async throws {
        try await PostgresFixture.withFreshStore { admin in
            let old = admin.s + "_v8"
            try await Self.createAtVersion8(old, using: admin)
            let id = UUID()
            let xids = try await admin.rows(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(old).event (id, task_id, queue, handler, from_state, to_state, attempt) OVERRIDING SYSTEM VALUE
                        VALUES (7, '\(id)', 'default', 'h', NULL, 'pending', 0), (9, '\(id)', 'default', 'h', 'pending', 'running', 1)
                        RETURNING xid::text
                        """
                )
            ).map { try $0.decode(String.self) }
            var configuration = try PostgresConfiguration(url: try #require(PostgresFixture.url))
            configuration.schema = old
            configuration.poolSize = 2
            let store = try await PostgresTaskStore(configuration: configuration)
            defer { store.close() }
            try await store.withRunning {
                do {
                    try await Self.checkKeptChanges(store, task: id, xids: xids)
                    try await store.dropSchema()
                } catch {
                    try? await store.dropSchema()
                    throw error
                }
            }
        }
    }

    /// The changes logged at version 8 are kept, with cursors old and new, and new changes are numbered after them.
    private static func checkKeptChanges(_ store: PostgresTaskStore, task id: UUID, xids: [String]) async throws {
        let xid = try #require(xids.first)
        let kept = try await store.visibleStateChanges(after: nil, count: 2)
        #expect(kept.map(\.cursor) == ["\(xid):7:1", "\(xid):9:1"])
        #expect(kept.map { "\($0.from?.rawValue ?? "new")>\($0.to.rawValue)@\($0.attempt)" } == ["new>pending@0", "pending>running@1"])
        #expect(kept.allSatisfy { $0.taskID == TaskID(id) && $0.handler == "h" })
        // A cursor given out before the migration, `xid:id`, still means "after that change".
        #expect(try await store.stateChanges(after: "\(xid):7", limit: 10).map(\.cursor) == ["\(xid):9:1"])
        // New rows are numbered after the kept ones.
        _ = try await store.enqueue([NewTask(handler: "new"), NewTask(handler: "new")], now: Date())
        let later = try await store.visibleStateChanges(after: kept.last?.cursor, count: 2)
        #expect(later.map(\.handler) == ["new", "new"])
        #expect(later.allSatisfy { $0.cursor.split(separator: ":").dropFirst().first.flatMap { Int($0) } ?? 0 > 9 })
    }

    /// Creates `schema` as Errand's migrations 1 to 8 left it.
    static func createAtVersion8(_ schema: String, using store: PostgresTaskStore) async throws {
        _ = try await store.rows(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
        _ = try await store.rows(
            PostgresQuery(unsafeSQL: "CREATE TABLE \(schema).migration (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)")
        )
        for (index, migration) in PostgresSchema.migrations(schema).prefix(8).enumerated() {
            for statement in migration.components(separatedBy: ";\n") where !PostgresSchema.isBlank(statement) {
                _ = try await store.rows(PostgresQuery(unsafeSQL: statement))
            }
            _ = try await store.rows(PostgresQuery(unsafeSQL: "INSERT INTO \(schema).migration VALUES (\(index + 1), now())"))
        }
    }
}
