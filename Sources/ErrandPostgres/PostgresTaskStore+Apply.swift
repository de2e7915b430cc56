import ErrandCore
import ErrandStore
import Foundation
import PostgresNIO

/// Applying events to stored tasks: every change is decided by ``TaskTransition`` and written back in batches.
extension PostgresTaskStore {
    /// Applies each event through ``TaskTransition`` and writes every result; events on one task apply in order.
    ///
    /// Optimistic first: tasks this store claimed come from its ``ClaimCache`` and the others are read without
    /// locks; one statement writes every new row guarded by the row version it was computed from (`xmin`), with the
    /// ended attempts of the rows it wrote. That is one round trip (none more for the usual batch of finishes) and no
    /// row locks. Tasks changed meanwhile (a heartbeat from elsewhere, a cancel, a rescue) are not written; their
    /// events are applied again with the rows locked, as are events a cached record refused.
    func apply(_ events: [(TaskID, TaskEvent)], now: Date) async throws -> [FinishResult] {
        let now = now.wholeMilliseconds
        let cached = claims.take(events.map(\.0))
        var tasks = cached.mapValues(\.task)
        var versions = cached.mapValues(\.version)
        let unread = Set(events.map(\.0)).subtracting(cached.keys).compactMap { $0.uuid }
        if !unread.isEmpty {
            for row in try await rows(
                "SELECT \(unescaped: PostgresTaskRow.columnList), xmin::text FROM \(unescaped: s).task WHERE id = ANY(\(unread))"
            ) {
                let task = try PostgresTaskRow.decode(row)
                tasks[task.id] = task
                versions[task.id] = try row.makeRandomAccess()[PostgresTaskRow.columnCount].decode(String.self)
            }
        }
        var (results, changed, attempts) = Self.transitions(events, tasks: tasks, now: now)
        var stale = Set<TaskID>()
        for (event, result) in zip(events, results) {
            if case .refused = result, cached[event.0] != nil { stale.insert(event.0) }
        }
        // A tree's task that finishes takes the locked path, where the tree rules apply (`writeLocked`).
        for (id, task) in changed where task.state.isFinal {
            if let before = tasks[id], before.isInTree, !before.state.isFinal { stale.insert(id) }
        }
        for id in stale { changed[id] = nil }
        attempts.removeAll { stale.contains($0.taskID) }
        if !changed.isEmpty {
            let written = try await writeGuarded(changed, versions: versions, attempts: attempts)
            stale.formUnion(Set(changed.keys).subtracting(written.keys))
            // A claimed task still running after the write (a heartbeat) stays cached at the version just written.
            claims.insert(
                written.compactMap { id, version in
                    guard cached[id] != nil, !stale.contains(id), let task = changed[id], task.state == .running else { return nil }
                    return (task, version)
                }
            )
        }
        guard !stale.isEmpty else { return results }
        let redo = events.indices.filter { stale.contains(events[$0].0) }
        let redone = try await applyLocked(redo.map { events[$0] }, now: now)
        for (index, result) in zip(redo, redone) { results[index] = result }
        return results
    }

    /// Runs `events` through ``TaskTransition`` on `tasks`; returns each event's result, the changed tasks and the
    /// ended attempts.
    static func transitions(
        _ events: [(TaskID, TaskEvent)],
        tasks: [TaskID: TaskRecord],
        now: Date
    ) -> (results: [FinishResult], changed: [TaskID: TaskRecord], attempts: [Attempt]) {
        var results: [FinishResult] = []
        var changed: [TaskID: TaskRecord] = [:]
        var attempts: [Attempt] = []
        for (id, event) in events {
            guard let task = changed[id] ?? tasks[id] else {
                results.append(.notFound(id))
                continue
            }
            switch TaskTransition.apply(event, to: task, now: now) {
            case .success(let output):
                changed[id] = output.task
                if let attempt = output.endedAttempt { attempts.append(attempt) }
                results.append(.applied(task: output.task, attempt: output.endedAttempt))
            case .failure(let refusal):
                results.append(.refused(refusal))
            }
        }
        return (results, changed, attempts)
    }

    /// Locks the tasks, applies the events and writes the results, all in one transaction.
    func applyLocked(_ events: [(TaskID, TaskEvent)], now: Date) async throws -> [FinishResult] {
        try await transaction { connection in
            let tasks = try await self.lock(events.map(\.0), on: connection)
            return try await self.writeLocked(events, tasks: tasks, now: now, on: connection)
        }
    }

    /// Reads and locks tasks on `connection`. Rows are locked newest id first, everywhere: a child is newer than its
    /// parent, and the tree rules lock a parent after its child, so no two transactions wait for each other.
    func lock(_ ids: [TaskID], on connection: PostgresConnection) async throws -> [TaskID: TaskRecord] {
        var tasks: [TaskID: TaskRecord] = [:]
        for row in try await rows(
            """
            SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: s).task WHERE id = ANY(\(ids.compactMap(\.uuid)))
            ORDER BY id DESC FOR UPDATE
            """,
            on: connection
        ) {
            let task = try PostgresTaskRow.decode(row)
            tasks[task.id] = task
        }
        return tasks
    }

    /// Applies events to tasks already locked on `connection` and writes the results.
    func write(_ pairs: [(TaskRecord, TaskEvent)], now: Date, on connection: PostgresConnection) async throws -> [FinishResult] {
        let tasks = Dictionary(pairs.map { ($0.0.id, $0.0) }, uniquingKeysWith: { first, _ in first })
        return try await writeLocked(pairs.map { ($0.0.id, $0.1) }, tasks: tasks, now: now, on: connection)
    }

    /// Writes `tasks` whose stored row is still at `versions`, and the attempts of the tasks it wrote, in one
    /// statement; returns the ids written with their new row versions.
    func writeGuarded(_ tasks: [TaskID: TaskRecord], versions: [TaskID: String], attempts: [Attempt]) async throws -> [TaskID: String] {
        var binds = PostgresBindings()
        binds.append(PostgresTaskRow.transitionJSON(Array(tasks.values), versions: versions))
        binds.append(PostgresTaskRow.attemptJSON(attempts))
        let sql = """
            WITH written AS (
                \(Self.updateTasks(schema: s, json: "$1"))
                  AND t.xmin::text = u.version
                RETURNING t.id, t.xmin::text AS version
            ), logged AS (
                \(Self.insertAttempts(schema: s, json: "$2"))
                WHERE a.task_id IN (SELECT id FROM written)
            )
            SELECT id, version FROM written
            """
        var written: [TaskID: String] = [:]
        for row in try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)) {
            let (id, version) = try row.decode((UUID, String).self)
            written[TaskID(id)] = version
        }
        return written
    }

    /// Writes transition results: one UPDATE for all tasks, one INSERT for all ended attempts.
    func writeBack(_ tasks: [TaskRecord], attempts: [Attempt], on connection: PostgresConnection) async throws {
        if !tasks.isEmpty {
            var binds = PostgresBindings()
            binds.append(PostgresTaskRow.transitionJSON(tasks, versions: [:]))
            try await connection.query(PostgresQuery(unsafeSQL: Self.updateTasks(schema: s, json: "$1"), binds: binds), logger: logger)
        }
        if !attempts.isEmpty {
            var binds = PostgresBindings()
            binds.append(PostgresTaskRow.attemptJSON(attempts))
            try await connection.query(PostgresQuery(unsafeSQL: Self.insertAttempts(schema: s, json: "$1"), binds: binds), logger: logger)
        }
    }

    /// `UPDATE … FROM json_to_recordset(<json>) AS u WHERE t.id = u.id`: writes the columns a transition changes.
    static func updateTasks(schema s: String, json: String) -> String {
        """
        UPDATE \(s).task AS t SET priority = u.priority, run_at = to_timestamp(u.run_at / 1000.0),
            state = u.state, attempt = u.attempt, charged_attempts = u.charged_attempts, max_attempts = u.max_attempts,
            started_at = to_timestamp(u.started_at / 1000.0), finished_at = to_timestamp(u.finished_at / 1000.0),
            result = u.result, message = u.message, last_error = u.last_error, worker = u.worker,
            lease_expires_at = to_timestamp(u.lease_expires_at / 1000.0)
        FROM json_to_recordset(\(json)::json) AS u(\(PostgresTaskRow.transitionRecord))
        WHERE t.id = u.id
        """
    }

    /// `INSERT INTO attempt … SELECT FROM json_to_recordset(<json>) AS a`: appends ended attempts to the launch log.
    static func insertAttempts(schema s: String, json: String) -> String {
        """
        INSERT INTO \(s).attempt (task_id, number, handler, worker, started_at, finished_at, outcome, message, result,
            salvaged_by, salvaged_at)
        SELECT a.task_id, a.number, a.handler, a.worker, to_timestamp(a.started_at / 1000.0),
            to_timestamp(a.finished_at / 1000.0), a.outcome, a.message, a.result, a.salvaged_by,
            to_timestamp(a.salvaged_at / 1000.0)
        FROM json_to_recordset(\(json)::json) AS a(\(PostgresTaskRow.attemptRecord))
        """
    }
}
