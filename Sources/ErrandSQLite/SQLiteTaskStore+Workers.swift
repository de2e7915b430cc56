public import ErrandCore
public import ErrandStore
public import Foundation
import GRDB

/// The worker registry: registration, heartbeats, end, listing and salvage of lost workers.
extension SQLiteTaskStore {
    static let workerColumns = """
        id, name, lease_name, queues, spec, state, started_at, last_heartbeat_at, heartbeat_expiration, salvage_after, \
        finished_at, salvaged_by, salvaged_at
        """

    public func registerWorker(_ worker: WorkerRecord) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO errand_worker (\(Self.workerColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    worker.id, worker.name, worker.leaseName, JSONText.array(worker.queues), worker.spec, worker.state.rawValue,
                    worker.startedAt.millisecondsSince1970, worker.lastHeartbeatAt.millisecondsSince1970, worker.heartbeatExpiration,
                    worker.salvageAfter, worker.finishedAt?.millisecondsSince1970, worker.salvagedBy,
                    worker.salvagedAt?.millisecondsSince1970,
                ]
            )
        }
    }

    public func workerHeartbeat(_ id: String, now: Date) async throws -> WorkerRecord? {
        try await write { db in
            try db.execute(
                sql: "UPDATE errand_worker SET state = 'running', last_heartbeat_at = ? WHERE id = ? AND state IN ('running', 'lost')",
                arguments: [now.millisecondsSince1970, id]
            )
            return try Self.fetchWorkers(db, "WHERE id = ?", [id]).first
        }
    }

    public func endWorker(_ id: String, as state: WorkerState, now: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE errand_worker SET state = ?, finished_at = ? WHERE id = ? AND state IN ('running', 'lost')",
                arguments: [state.rawValue, now.millisecondsSince1970, id]
            )
        }
    }

    public func workers(states: [WorkerState]) async throws -> [WorkerRecord] {
        try await read { db in
            guard !states.isEmpty else { return try Self.fetchWorkers(db, "ORDER BY started_at DESC, id", []) }
            let marks = states.map { _ in "?" }.joined(separator: ", ")
            return try Self.fetchWorkers(db, "WHERE state IN (\(marks)) ORDER BY started_at DESC, id", states.map(\.rawValue))
        }
    }

    public func tasksHeld() async throws -> [String: Int] {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT worker, COUNT(*) AS held FROM errand_task WHERE state = 'running' AND worker IS NOT NULL GROUP BY worker"
            )
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["worker"] as String, $0["held"] as Int) })
        }
    }

    public func salvageWorkers(by salvager: String, now: Date, limit: Int) async throws -> WorkerSalvage {
        // The leader asks every second; a read answers "nothing to do" without taking the write lock.
        let due = try await read { db in
            let (lose, salvage) = WorkerSalvage.plan(try Self.fetchWorkers(db, "WHERE state IN ('running', 'lost')", []), now: now, limit: limit)
            return !lose.isEmpty || !salvage.isEmpty
        }
        guard due else { return WorkerSalvage() }
        let salvage = try await writeTasks { db, log in
            let candidates = try Self.fetchWorkers(db, "WHERE state IN ('running', 'lost')", [])
            let (lose, salvage) = WorkerSalvage.plan(candidates, now: now, limit: limit)
            var result = WorkerSalvage(lost: lose)
            for worker in lose {
                try db.execute(sql: "UPDATE errand_worker SET state = 'lost' WHERE id = ?", arguments: [worker.id])
            }
            for var worker in salvage {
                try db.execute(
                    sql: "UPDATE errand_worker SET state = 'salvaged', salvaged_by = ?, salvaged_at = ?, finished_at = ? WHERE id = ?",
                    arguments: [salvager, now.millisecondsSince1970, now.millisecondsSince1970, worker.id]
                )
                worker.state = .salvaged
                worker.salvagedBy = salvager
                worker.salvagedAt = now.wholeMilliseconds
                worker.finishedAt = now.wholeMilliseconds
                result.salvaged.append(worker)
                let held = try TaskRow.fetchAll(db, db.cachedStatement(sql: Self.selectHeldBy)) { $0.bind(worker.leaseName) }
                for task in held { result.tasks.append(try Self.apply(db, log, .salvage(by: salvager), to: task, now: now)) }
                // Broadcast parts only this worker could run end with it.
                let targeted = try TaskRow.fetchAll(db, db.cachedStatement(sql: Self.selectTargeting)) { $0.bind(worker.leaseName) }
                for task in targeted {
                    result.tasks.append(try Self.apply(db, log, .cancel(reason: WorkerSalvage.partReason(worker)), to: task, now: now))
                }
            }
            return result
        }
        if !salvage.tasks.isEmpty { changeSignal.notify() }
        return salvage
    }

    public func pruneWorkers(endedBefore: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM errand_worker WHERE state IN ('succeeded', 'failed', 'salvaged') AND finished_at < ?",
                arguments: [endedBefore.millisecondsSince1970]
            )
            return db.changesCount
        }
    }

    static let selectHeldBy = "SELECT \(TaskRow.columnList) FROM errand_task WHERE state = 'running' AND worker = ?"
    static let selectTargeting = """
        SELECT \(TaskRow.columnList) FROM errand_task WHERE target_worker = ? AND state IN ('scheduled', 'pending')
        """

    static func fetchWorkers(_ db: Database, _ clause: String, _ arguments: [String]) throws -> [WorkerRecord] {
        try Row.fetchAll(db, sql: "SELECT \(workerColumns) FROM errand_worker \(clause)", arguments: StatementArguments(arguments)).map { row in
            let id: String = row[0]
            let stateText: String = row[5]
            guard let state = WorkerState(rawValue: stateText) else {
                throw StoreError(.corrupt, "worker \(id) is corrupt: column state holds \(stateText.prefix(80))")
            }
            func date(_ index: Int) -> Date? { (row[index] as Int64?).map(Date.init(millisecondsSince1970:)) }
            return WorkerRecord(
                id: id,
                name: row[1],
                leaseName: row[2],
                queues: JSONText.strings(row[3]) ?? [],
                spec: row[4],
                state: state,
                startedAt: date(6) ?? Date(timeIntervalSince1970: 0),
                lastHeartbeatAt: date(7),
                heartbeatExpiration: row[8],
                salvageAfter: row[9],
                finishedAt: date(10),
                salvagedBy: row[11],
                salvagedAt: date(12)
            )
        }
    }
}
