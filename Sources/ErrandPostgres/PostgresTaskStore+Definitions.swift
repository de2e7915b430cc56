import ErrandCore
import ErrandStore
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
