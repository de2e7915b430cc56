public import ErrandCore
public import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    /// Due waiting tasks of active queues in claim order. The partial claim index yields them already sorted, so the
    /// claim reads about `limit` rows; `INDEXED BY` keeps the planner from sorting every waiting task instead.
    /// The claim's candidates: the waiting tasks that require nothing, by the claim index, and for each requirement
    /// key the claimer's tags meet, that key's tasks by the requirement index; each in claim order and cut at the
    /// limit, then merged. Waiting tasks whose requirements the claimer lacks are never read.
    static func claimCandidates(queues: Int, handlers: Int, keys: Int) -> String {
        func branch(index: String, requirement: String) -> String {
            var sql = """
                SELECT \(TaskRow.columnList) FROM errand_task INDEXED BY \(index)
                WHERE state IN ('scheduled', 'pending') AND \(requirement) AND run_at <= ?
                  AND queue IN (SELECT name FROM errand_queue WHERE state = 'active')
                  AND (target_worker IS NULL OR target_worker = ?)
                """
            if queues > 0 { sql += " AND queue IN (\(placeholders(queues)))" }
            if handlers > 0 { sql += " AND handler IN (\(placeholders(handlers)))" }
            return sql + " ORDER BY priority, run_at, id LIMIT ?"
        }
        let plain = branch(index: "errand_task_claim", requirement: "requires IS NULL")
        guard keys > 0 else { return plain }
        let required = Array(repeating: "SELECT * FROM (\(branch(index: "errand_task_claim_requires", requirement: "requires = ?")))", count: keys)
        return (["SELECT * FROM (\(plain))"] + required).joined(separator: " UNION ALL ") + " ORDER BY priority, run_at, id LIMIT ?"
    }

    /// The requirement keys a claimer with `tags` meets (none without tags).
    static func metKeys(_ db: Database, tags: [String]) throws -> [String] {
        guard !tags.isEmpty else { return [] }
        return try String.fetchAll(db.cachedStatement(sql: "SELECT key FROM errand_requirement"))
            .filter { Requirement.met(Requirement.tags(ofKey: $0), by: tags) }
    }

    static func placeholders(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    public func claim(_ request: ClaimRequest) async throws -> [TaskRecord] {
        guard request.limit > 0 else { return [] }
        return try await writeTasks { db, log in
            let keys = try Self.metKeys(db, tags: request.tags)
            let statement = try db.cachedStatement(
                sql: Self.claimCandidates(queues: request.queues.count, handlers: request.handlers.count, keys: keys.count)
            )
            var candidates: [TaskRecord] = []
            var corrupt: [(id: String, message: String)] = []
            candidates.reserveCapacity(request.limit)
            try RawStatement.each(db, statement) { raw in
                for key in [nil] + keys.map(Optional.some) {
                    if let key { raw.bind(key) }
                    raw.bind(request.now.millisecondsSince1970)
                    raw.bind(request.worker)
                    for queue in request.queues { raw.bind(queue) }
                    for handler in request.handlers { raw.bind(handler) }
                    raw.bind(request.limit)
                }
                if !keys.isEmpty { raw.bind(request.limit) }
            } row: { row in
                do {
                    candidates.append(try TaskRow.decode(row))
                } catch let error as StoreError {
                    corrupt.append((row.text(0) ?? "", error.message))
                }
            }
            for (id, message) in corrupt { try Self.moveToDeadLetters(db, id: id, error: message, now: request.now) }
            var claimed: [TaskRecord] = []
            claimed.reserveCapacity(candidates.count)
            for task in candidates {
                guard case .success(let output) = TaskTransition.apply(.claim(worker: request.worker), to: task, now: request.now)
                else { continue }
                try Self.save(db, log, output, replacing: task)
                claimed.append(output.task)
            }
            return claimed
        }
    }

    public func heartbeat(_ leases: [Lease], now: Date) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        return try await writeTasks { db, log in
            var held: [Lease] = []
            for lease in leases {
                guard let task = try Self.load(db, lease.taskID),
                    case .success(let output) = TaskTransition.apply(.heartbeat(lease), to: task, now: now)
                else { continue }
                try Self.save(db, log, output, replacing: task)
                held.append(lease)
            }
            return held
        }
    }

    public func reportProgress(_ lease: Lease, completed: Double, total: Double?, now: Date) async throws -> Bool {
        try await writeTasks { db, log in
            guard let task = try Self.load(db, lease.taskID),
                case .success(let output) = TaskTransition.apply(.heartbeat(lease), to: task, now: now)
            else { return false }
            try Self.save(db, log, output, replacing: task)
            try db.execute(
                sql: "UPDATE errand_task SET progress_completed = ?, progress_total = ? WHERE id = ?",
                arguments: [completed, total, lease.taskID.rawValue]
            )
            return true
        }
    }

    public func report(_ lease: Lease, meta: String?, now: Date) async throws -> TaskRecord? {
        try await writeTasks { db, log in
            guard let task = try Self.load(db, lease.taskID),
                case .success(var output) = TaskTransition.apply(.heartbeat(lease), to: task, now: now)
            else { return nil }
            try Self.save(db, log, output, replacing: task)
            try db.execute(sql: "UPDATE errand_task SET meta = ? WHERE id = ?", arguments: [meta, lease.taskID.rawValue])
            output.task.meta = meta
            return output.task
        }
    }

    public func finish(_ finishes: [Finish], now: Date) async throws -> [FinishResult] {
        guard !finishes.isEmpty else { return [] }
        let results = try await writeTasks { db, log in
            var decrements: [String: Int] = [:]  // follow-ups' queues, read once per batch
            return try finishes.map { finish -> FinishResult in
                guard let task = try Self.load(db, finish.lease.taskID) else { return .notFound(finish.lease.taskID) }
                // Follow-ups that are children: the task awaits them, so they count before it is saved.
                let followUps = finish.followUpRecords(of: task, now: now)
                let result = try Self.apply(db, log, .finish(finish), to: task, now: now, followUps: finish.childCount)
                if result.appliedTask != nil {
                    for var record in followUps {
                        let decrement =
                            try decrements[record.queue]
                            ?? Int.fetchOne(db.cachedStatement(sql: Self.selectQueueDecrement), arguments: [record.queue]) ?? 0
                        decrements[record.queue] = decrement
                        record.retry.adoptQueuePriorityDecrement(decrement)
                        try Self.insert(db, log, record)
                    }
                }
                return result
            }
        }
        notifyIfWaiting(results)
        if finishes.contains(where: { !$0.followUps.isEmpty }) { changeSignal.notify() }
        return results
    }

    public func unclaim(_ lease: Lease, now: Date) async throws -> TaskRecord {
        let task = try await writeTasks { db, log in try Self.transition(db, log, lease.taskID, .unclaim(lease), now: now) }
        changeSignal.notify()
        return task
    }

    /// Running tasks whose lease expired, oldest expiry first.
    static let selectExpired = """
        SELECT \(TaskRow.columnList) FROM errand_task
        WHERE state = 'running' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?
        """

    public func rescueExpiredLeases(now: Date, limit: Int) async throws -> [FinishResult] {
        let results = try await writeTasks { db, log in
            let expired = try TaskRow.fetchAll(db, db.cachedStatement(sql: Self.selectExpired)) { raw in
                raw.bind(now.millisecondsSince1970)
                raw.bind(limit)
            }
            return try expired.map { task in try Self.apply(db, log, .rescue, to: task, now: now) }
        }
        notifyIfWaiting(results)
        return results
    }

    /// Applies an event and saves the result, reporting a refusal instead of throwing it.
    static func apply(
        _ db: Database,
        _ log: ChangeLog,
        _ event: TaskEvent,
        to task: TaskRecord,
        now: Date,
        followUps: Int = 0
    ) throws -> FinishResult {
        switch TaskTransition.apply(event, to: task, now: now) {
        case .success(let output):
            let saved = try save(db, log, output, replacing: task, followUps: followUps)
            return .applied(task: saved, attempt: output.endedAttempt)
        case .failure(let refusal):
            return .refused(refusal)
        }
    }

    /// Signals waiters (dispatchers, `wait` on a result) when any finish was applied.
    private func notifyIfWaiting(_ results: [FinishResult]) {
        let applied = results.contains { result in
            if case .applied = result { return true }
            return false
        }
        if applied { changeSignal.notify() }
    }
}
