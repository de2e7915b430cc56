import ErrandCore
public import ErrandStore
public import Foundation
import PostgresNIO

/// Task definitions turned on and off at run time.
extension PostgresTaskStore {
    public func setDefinitionEnabled(_ name: String, _ enabled: Bool, now: Date) async throws {
        _ = try await rows(
            """
            INSERT INTO \(unescaped: s).definition (name, enabled, updated_at) VALUES (\(name), \(enabled), \(now.wholeMilliseconds))
            ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at
            """
        )
    }

    public func disabledDefinitions() async throws -> Set<String> {
        Set(try await rows("SELECT name FROM \(unescaped: s).definition WHERE NOT enabled").map { try $0.decode(String.self) })
    }
}

/// Task definitions created at run time.
extension PostgresTaskStore {
    public func storedDefinitions() async throws -> [StoredDefinition] {
        try await rows(
            "SELECT name, spec, coalesce(created_at, updated_at), updated_at FROM \(unescaped: s).definition WHERE spec IS NOT NULL ORDER BY name"
        ).map(Self.storedDefinition)
    }

    public func putDefinition(_ name: String, spec: String, replacing: Bool, now: Date) async throws -> StoredDefinition {
        let at = now.wholeMilliseconds
        let written = try await rows(
            """
            INSERT INTO \(unescaped: s).definition AS d (name, enabled, updated_at, spec, created_at) VALUES (\(name), true, \(at), \(spec), \(at))
            ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at,
                created_at = CASE WHEN d.spec IS NULL THEN excluded.created_at ELSE d.created_at END
            WHERE \(replacing) OR d.spec IS NULL
            RETURNING name, spec, coalesce(created_at, updated_at), updated_at
            """
        )
        guard let row = written.first else { throw StoreError.definitionExists(name) }
        return try Self.storedDefinition(row)
    }

    public func deleteDefinition(_ name: String) async throws -> Bool {
        !(try await rows("DELETE FROM \(unescaped: s).definition WHERE name = \(name) AND spec IS NOT NULL RETURNING name")).isEmpty
    }

    private static func storedDefinition(_ row: PostgresRow) throws -> StoredDefinition {
        let (name, spec, created, updated) = try row.decode((String, String, Date, Date).self)
        return StoredDefinition(name: name, spec: spec, createdAt: created.wholeMilliseconds, updatedAt: updated.wholeMilliseconds)
    }
}
