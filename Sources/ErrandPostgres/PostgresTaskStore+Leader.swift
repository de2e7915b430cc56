import ErrandCore
import ErrandStore
public import Foundation
import PostgresNIO

extension PostgresTaskStore {
    public func acquireLeadership(_ node: String, ttl: Double, now: Date) async throws -> Bool {
        let now = now.wholeMilliseconds
        let until = now.addingTimeInterval(ttl).wholeMilliseconds
        // Takes the lease when it is free or expired, renews it when `node` holds it; RETURNING is empty otherwise.
        let rows = try await rows(
            """
            INSERT INTO \(unescaped: s).leader (name, node, expires_at) VALUES ('leader', \(node), \(until))
            ON CONFLICT (name) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
            WHERE \(unescaped: s).leader.node = excluded.node OR \(unescaped: s).leader.expires_at <= \(now)
            RETURNING node
            """
        )
        return !rows.isEmpty
    }

    public func releaseLeadership(_ node: String) async throws {
        _ = try await rows("DELETE FROM \(unescaped: s).leader WHERE name = 'leader' AND node = \(node)")
    }

    public func leader(now: Date) async throws -> String? {
        try await rows("SELECT node FROM \(unescaped: s).leader WHERE name = 'leader' AND expires_at > \(now.wholeMilliseconds)")
            .first.map { try $0.decode(String.self) }
    }
}
