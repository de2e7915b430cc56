import ErrandCore
import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    /// Takes the lease when it is free or expired, renews it when `node` holds it, and leaves it alone otherwise.
    static let takeLeadership = """
        INSERT INTO errand_leader (name, node, expires_at) VALUES ('leader', ?, ?)
        ON CONFLICT (name) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
        WHERE errand_leader.node = excluded.node OR errand_leader.expires_at <= ?
        """

    public func acquireLeadership(_ node: String, ttl: Double, now: Date) async throws -> Bool {
        let until = now.addingTimeInterval(ttl).millisecondsSince1970
        return try await write { db in
            try db.execute(sql: Self.takeLeadership, arguments: [node, until, now.millisecondsSince1970])
            return try String.fetchOne(db, sql: "SELECT node FROM errand_leader WHERE name = 'leader'") == node
        }
    }

    public func releaseLeadership(_ node: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM errand_leader WHERE name = 'leader' AND node = ?", arguments: [node])
        }
    }

    public func leader(now: Date) async throws -> String? {
        try await read { db in
            try String.fetchOne(
                db,
                sql: "SELECT node FROM errand_leader WHERE name = 'leader' AND expires_at > ?",
                arguments: [now.millisecondsSince1970]
            )
        }
    }
}
