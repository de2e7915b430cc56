public import ErrandCore
public import ErrandStore
public import Foundation
import PostgresNIO

/// The worker registry: registration, heartbeats, end, listing and salvage of lost workers.
extension PostgresTaskStore {
    static let workerColumns = """
        id, name, lease_name, queues, spec, state, started_at, last_heartbeat_at, heartbeat_expiration, \
        salvage_after, finished_at, salvaged_by, salvaged_at
        """

    public func registerWorker(_ worker: WorkerRecord) async throws {
        let queues = JSONText.array(worker.queues)
        _ = try await rows(
            """
            INSERT INTO \(unescaped: s).worker (id, name, lease_name, queues, spec, state, started_at, last_heartbeat_at,
                heartbeat_expiration, salvage_after)
            VALUES (\(worker.id), \(worker.name), \(worker.leaseName), \(queues), \(worker.spec), \(worker.state.rawValue),
                \(worker.startedAt.wholeMilliseconds), \(worker.lastHeartbeatAt.wholeMilliseconds), \(worker.heartbeatExpiration),
                \(worker.salvageAfter))
            """
        )
    }

    public func workerHeartbeat(_ id: String, now: Date) async throws -> WorkerRecord? {
        _ = try await rows(
            """
            UPDATE \(unescaped: s).worker SET state = 'running', last_heartbeat_at = \(now.wholeMilliseconds)
            WHERE id = \(id) AND state IN ('running', 'lost')
            """
        )
        return try await rows("SELECT \(unescaped: Self.workerColumns) FROM \(unescaped: s).worker WHERE id = \(id)").map(Self.decodeWorker).first
    }

    public func endWorker(_ id: String, as state: WorkerState, now: Date) async throws {
        _ = try await rows(
            """
            UPDATE \(unescaped: s).worker SET state = \(state.rawValue), finished_at = \(now.wholeMilliseconds)
            WHERE id = \(id) AND state IN ('running', 'lost')
            """
        )
    }

    public func workers(states: [WorkerState]) async throws -> [WorkerRecord] {
        let names: [String]? = states.isEmpty ? nil : states.map(\.rawValue)
        return try await rows(
            """
            SELECT \(unescaped: Self.workerColumns) FROM \(unescaped: s).worker
            WHERE \(names)::text[] IS NULL OR state = ANY(\(names)::text[]) ORDER BY started_at DESC, id
            """
        ).map(Self.decodeWorker)
    }

    public func tasksHeld() async throws -> [String: Int] {
        let rows = try await rows(
            "SELECT worker, COUNT(*) FROM \(unescaped: s).task WHERE state = 'running' AND worker IS NOT NULL GROUP BY worker"
        )
        var held: [String: Int] = [:]
        for row in rows {
            let (worker, count) = try row.decode((String, Int).self)
            held[worker] = count
        }
        return held
    }

    public func salvageWorkers(by salvager: String, now: Date, limit: Int) async throws -> WorkerSalvage {
        let now = now.wholeMilliseconds
        let salvage = try await transaction { connection in
            let candidates = try await self.rows(
                """
                SELECT \(unescaped: Self.workerColumns) FROM \(unescaped: self.s).worker WHERE state IN ('running', 'lost')
                FOR UPDATE SKIP LOCKED
                """,
                on: connection
            ).map(Self.decodeWorker)
            let (lose, salvage) = WorkerSalvage.plan(candidates, now: now, limit: limit)
            var result = WorkerSalvage(lost: lose)
            let lost = lose.map(\.id)
            if !lost.isEmpty {
                _ = try await self.rows("UPDATE \(unescaped: self.s).worker SET state = 'lost' WHERE id = ANY(\(lost))", on: connection)
            }
            for var worker in salvage {
                _ = try await self.rows(
                    """
                    UPDATE \(unescaped: self.s).worker SET state = 'salvaged', salvaged_by = \(salvager), salvaged_at = \(now),
                        finished_at = \(now)
                    WHERE id = \(worker.id)
                    """,
                    on: connection
                )
                worker.state = .salvaged
                worker.salvagedBy = salvager
                worker.salvagedAt = now
                worker.finishedAt = now
                result.salvaged.append(worker)
                let held = try await self.rows(
                    """
                    SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: self.s).task
                    WHERE state = 'running' AND worker = \(worker.leaseName) FOR UPDATE
                    """,
                    on: connection
                ).map(PostgresTaskRow.decode)
                _ = self.claims.take(held.map(\.id))
                result.tasks += try await self.write(held.map { ($0, TaskEvent.salvage(by: salvager)) }, now: now, on: connection)
                // Broadcast parts only this worker could run end with it.
                let targeted = try await self.rows(
                    """
                    SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: self.s).task
                    WHERE target_worker = \(worker.leaseName) AND state IN ('scheduled', 'pending') ORDER BY id DESC FOR UPDATE
                    """,
                    on: connection
                ).map(PostgresTaskRow.decode)
                let reason = WorkerSalvage.partReason(worker)
                result.tasks += try await self.write(targeted.map { ($0, TaskEvent.cancel(reason: reason)) }, now: now, on: connection)
            }
            return result
        }
        if !salvage.tasks.isEmpty { await notify() }
        return salvage
    }

    public func pruneWorkers(endedBefore: Date) async throws -> Int {
        try await rows(
            """
            DELETE FROM \(unescaped: s).worker WHERE state IN ('succeeded', 'failed', 'salvaged')
              AND finished_at < \(endedBefore.wholeMilliseconds) RETURNING id
            """
        ).count
    }

    static func decodeWorker(_ row: PostgresRow) throws -> WorkerRecord {
        let cells = row.makeRandomAccess()
        let id = try cells[0].decode(String.self)
        let stateText = try cells[5].decode(String.self)
        guard let state = WorkerState(rawValue: stateText) else {
            throw StoreError(.corrupt, "worker \(id) is corrupt: column state holds \(stateText.prefix(80))")
        }
        let queues = JSONText.strings(try cells[3].decode(String.self)) ?? []
        return WorkerRecord(
            id: id,
            name: try cells[1].decode(String.self),
            leaseName: try cells[2].decode(String.self),
            queues: queues,
            spec: try cells[4].decode(String.self),
            state: state,
            startedAt: try cells[6].decode(Date.self).wholeMilliseconds,
            lastHeartbeatAt: try cells[7].decode(Date.self).wholeMilliseconds,
            heartbeatExpiration: try cells[8].decode(Double.self),
            salvageAfter: try cells[9].decode(Double.self),
            finishedAt: try cells[10].decode(Date?.self)?.wholeMilliseconds,
            salvagedBy: try cells[11].decode(String?.self),
            salvagedAt: try cells[12].decode(Date?.self)?.wholeMilliseconds
        )
    }
}
