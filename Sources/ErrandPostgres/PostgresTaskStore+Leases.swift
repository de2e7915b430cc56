public import ErrandCore
public import ErrandStore
public import Foundation
import PostgresNIO

extension PostgresTaskStore {
    /// Claims at most `limit` due tasks of active queues in claim order, through the schema's `claim` function (see
    /// ``PostgresSchema/claimFunction(_:)``): one round trip, and a plan that walks the claim index in order whatever
    /// the table's statistics say. `SKIP LOCKED` keeps concurrent claimers disjoint.
    public func claim(_ request: ClaimRequest) async throws -> [TaskRecord] {
        guard request.limit > 0 else { return [] }
        // A claimer with tags reads the requirement keys (a handful of rows) and takes the tasks of those it meets too.
        let keys =
            request.tags.isEmpty
            ? []
            : try await rows("SELECT key FROM \(unescaped: s).requirement").map { try $0.decode(String.self) }
                .filter { Requirement.met(Requirement.tags(ofKey: $0), by: request.tags) }
        let query: PostgresQuery =
            keys.isEmpty
            ? """
            SELECT \(unescaped: PostgresTaskRow.columns("(c.claimed_task)")), c.claimed_version::text
            FROM \(unescaped: s).claim(\(request.now.wholeMilliseconds), \(request.limit), \(request.worker), \(request.queues),
                \(request.handlers)) AS c
            """
            : """
            SELECT \(unescaped: PostgresTaskRow.columns("(c.claimed_task)")), c.claimed_version::text
            FROM \(unescaped: s).claim_tagged(\(request.now.wholeMilliseconds), \(request.limit), \(request.worker), \(request.queues),
                \(request.handlers), \(keys)) AS c
            """
        var claimed: [TaskRecord] = []
        var versions: [String] = []
        var corrupt: [(UUID, String)] = []
        for row in try await rows(query) {
            do {
                let task = try PostgresTaskRow.decode(row)
                versions.append(try row.makeRandomAccess()[PostgresTaskRow.columnCount].decode(String.self))
                claimed.append(task)
            } catch {
                if let id = try? row.makeRandomAccess()[0].decode(UUID.self) {
                    corrupt.append((id, (error as? StoreError)?.message ?? "\(error)"))
                }
            }
        }
        if !corrupt.isEmpty { try await moveToDeadLetters(corrupt, now: request.now) }
        claims.insert(Array(zip(claimed, versions)))
        return claimed.sorted { ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id) }
    }

    public func heartbeat(_ leases: [Lease], now: Date) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        let results = try await apply(leases.map { ($0.taskID, TaskEvent.heartbeat($0)) }, now: now)
        return zip(leases, results).compactMap { lease, result in
            if case .applied = result { return lease }
            return nil
        }
    }

    public func reportProgress(_ lease: Lease, completed: Double, total: Double?, now: Date) async throws -> Bool {
        guard try await heartbeat([lease], now: now) == [lease] else { return false }
        // Guarded by the lease again: a rescue between the two statements leaves the progress unrecorded.
        let updated = try await rows(
            """
            UPDATE \(unescaped: s).task SET progress_completed = \(completed), progress_total = \(total)
            WHERE id = \(lease.taskID.uuid) AND state = 'running' AND attempt = \(lease.attempt) AND worker = \(lease.worker)
            RETURNING 1
            """
        )
        return !updated.isEmpty
    }

    public func report(_ lease: Lease, meta: String?, now: Date) async throws -> TaskRecord? {
        guard try await heartbeat([lease], now: now) == [lease] else { return nil }
        // Guarded by the lease again: a rescue between the two statements leaves the report unrecorded.
        let updated = try await rows(
            """
            UPDATE \(unescaped: s).task SET meta = \(meta)
            WHERE id = \(lease.taskID.uuid) AND state = 'running' AND attempt = \(lease.attempt) AND worker = \(lease.worker)
            RETURNING \(unescaped: PostgresTaskRow.columnList)
            """
        )
        return try updated.first.map(PostgresTaskRow.decode)
    }

    public func finish(_ finishes: [Finish], now: Date) async throws -> [FinishResult] {
        guard !finishes.isEmpty else { return [] }
        let chained = finishes.indices.filter { !finishes[$0].followUps.isEmpty }
        let plain = finishes.indices.filter { finishes[$0].followUps.isEmpty }
        var results = [FinishResult](repeating: .notFound(finishes[0].lease.taskID), count: finishes.count)
        if !plain.isEmpty {
            let applied = try await apply(plain.map { (finishes[$0].lease.taskID, TaskEvent.finish(finishes[$0])) }, now: now)
            for (index, result) in zip(plain, applied) { results[index] = result }
        }
        if !chained.isEmpty {
            let applied = try await finishWithFollowUps(chained.map { finishes[$0] }, now: now)
            for (index, result) in zip(chained, applied) { results[index] = result }
        }
        if results.contains(where: { $0.appliedTask != nil }) { await notify() }
        return results
    }

    /// Finishes whose follow-ups must be stored with them: the rows are locked, and the follow-ups of the finishes
    /// applied are inserted in the same transaction, so they exist exactly when the finish does.
    private func finishWithFollowUps(_ finishes: [Finish], now: Date) async throws -> [FinishResult] {
        try await registerRequirements(of: finishes.flatMap(\.followUps))
        let now = now.wholeMilliseconds
        _ = claims.take(finishes.map(\.lease.taskID))
        return try await transaction { connection in
            let tasks = try await self.lock(finishes.map(\.lease.taskID), on: connection)
            // Follow-ups that are children: each task awaits its own, so they count before it is written.
            var followUps: [TaskID: [TaskRecord]] = [:]
            var children: [TaskID: Int] = [:]
            for finish in finishes {
                guard let task = tasks[finish.lease.taskID] else { continue }
                followUps[task.id] = finish.followUpRecords(of: task, now: now)
                children[task.id] = finish.childCount
            }
            let results = try await self.writeLocked(
                finishes.map { ($0.lease.taskID, TaskEvent.finish($0)) },
                tasks: tasks,
                now: now,
                followUps: children,
                on: connection
            )
            let inserted = results.compactMap(\.appliedTask).flatMap { followUps[$0.id] ?? [] }
            if !inserted.isEmpty {
                let parents = Array(Set(inserted.compactMap(\.parentID?.uuid)))
                _ = try await self.rows(
                    "UPDATE \(unescaped: self.s).task SET has_children = true WHERE id = ANY(\(parents)) AND NOT has_children",
                    on: connection
                )
                let decrement = "(SELECT retry_priority_decrement FROM \(self.s).queue q WHERE q.name = u.queue)"
                try await connection.query(Self.insertQuery(schema: self.s, inserted, queueDecrement: decrement), logger: self.logger)
            }
            return results
        }
    }

    public func unclaim(_ lease: Lease, now: Date) async throws -> TaskRecord {
        let task = try await applyOne(lease.taskID, .unclaim(lease), now: now)
        await notify([task.queue])
        return task
    }

    public func rescueExpiredLeases(now: Date, limit: Int) async throws -> [FinishResult] {
        let now = now.wholeMilliseconds
        let results = try await transaction { connection in
            let expired = try await self.rows(
                """
                SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: self.s).task
                WHERE state = 'running' AND lease_expires_at <= \(now)
                ORDER BY lease_expires_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
                """,
                on: connection
            ).map(PostgresTaskRow.decode)
            _ = self.claims.take(expired.map(\.id))
            return try await self.write(expired.map { ($0, TaskEvent.rescue) }, now: now, on: connection)
        }
        if !results.isEmpty { await notify() }
        return results
    }

    /// Applies one event and returns the stored task, throwing when the task is missing or refuses.
    func applyOne(_ id: TaskID, _ event: TaskEvent, now: Date) async throws -> TaskRecord {
        switch try await apply([(id, event)], now: now)[0] {
        case .applied(let task, _): return task
        case .refused(let refusal): throw StoreError.refused(refusal)
        case .notFound(let id): throw StoreError.notFound(id)
        }
    }

    /// Wakes this process's waiters at once and other nodes' through a debounced `NOTIFY` per key (queue name, or
    /// empty for "a task finished").
    func notify(_ keys: some Sequence<String> = [""]) async {
        changeSignal.notify()
        await wakeUps.request(keys)
    }
}
