import ErrandCore
import ErrandStore
public import Foundation
import GRDB

/// Task definitions turned on and off at run time.
extension SQLiteTaskStore {
    public func setDefinitionEnabled(_ name: String, _ enabled: Bool, now: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO errand_definition (name, enabled, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at
                    """,
                arguments: [name, enabled, now.millisecondsSince1970]
            )
        }
    }

    public func disabledDefinitions() async throws -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, sql: "SELECT name FROM errand_definition WHERE enabled = 0")) }
    }
}
