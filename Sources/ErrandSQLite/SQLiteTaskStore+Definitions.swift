import ErrandCore
public import ErrandStore
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

/// Task definitions created at run time.
extension SQLiteTaskStore {
    public func storedDefinitions() async throws -> [StoredDefinition] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT name, spec, created_at, updated_at FROM errand_definition WHERE spec IS NOT NULL ORDER BY name"
            ).map(Self.storedDefinition)
        }
    }

    public func putDefinition(_ name: String, spec: String, replacing: Bool, now: Date) async throws -> StoredDefinition {
        try await write { db in
            let at = now.millisecondsSince1970
            try db.execute(
                sql: """
                    INSERT INTO errand_definition (name, enabled, updated_at, spec, created_at) VALUES (?, 1, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at,
                        created_at = CASE WHEN errand_definition.spec IS NULL THEN excluded.created_at ELSE errand_definition.created_at END
                    WHERE ? OR errand_definition.spec IS NULL
                    """,
                arguments: [name, at, spec, at, replacing]
            )
            guard db.changesCount > 0 else { throw StoreError.definitionExists(name) }
            let row = try Row.fetchOne(db, sql: "SELECT name, spec, created_at, updated_at FROM errand_definition WHERE name = ?", arguments: [name])
            guard let row else { throw StoreError(.corrupt, "definition \(name) vanished while it was written") }
            return Self.storedDefinition(row)
        }
    }

    public func deleteDefinition(_ name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM errand_definition WHERE name = ? AND spec IS NOT NULL", arguments: [name])
            return db.changesCount > 0
        }
    }

    private static func storedDefinition(_ row: Row) -> StoredDefinition {
        let updated = Date(millisecondsSince1970: row["updated_at"])
        return StoredDefinition(
            name: row["name"],
            spec: row["spec"],
            createdAt: (row["created_at"] as Int64?).map(Date.init(millisecondsSince1970:)) ?? updated,
            updatedAt: updated
        )
    }
}
