public import ErrandCore
public import ErrandStore
public import Foundation
import PostgresNIO

extension PostgresTaskStore {
    /// - Throws: ``StoreError`` `.corrupt` when the row cannot be read; it is moved to the dead letters first.
    public func task(_ id: TaskID) async throws -> TaskRecord? {
        guard let uuid = id.uuid else { return nil }
        let columns = PostgresTaskRow.columnList
        var row = try await rows("SELECT \(unescaped: columns) FROM \(unescaped: s).task WHERE id = \(uuid)").first
        // An archived task is read from the archive (where it is never claimed or changed again).
        if row == nil { row = try await rows("SELECT \(unescaped: columns) FROM \(unescaped: s).task_archive WHERE id = \(uuid)").first }
        guard let row else { return nil }
        do {
            return try PostgresTaskRow.decode(row)
        } catch let error as StoreError where error.code == .corrupt {
            try await moveToDeadLetters([(uuid, error.message)], now: Date(), claimed: false)
            throw StoreError(.corrupt, "\(error.message); moved to the dead letters (errand task list --state deadletter)")
        }
    }

    public func attempts(of id: TaskID) async throws -> [Attempt] {
        guard let uuid = id.uuid else { return [] }
        return try await rows(
            """
            SELECT \(unescaped: PostgresTaskRow.attemptColumns)
            FROM \(unescaped: s).attempt WHERE task_id = \(uuid) ORDER BY number
            """
        ).map(PostgresTaskRow.decodeAttempt)
    }

    public func list(_ query: TaskQuery) async throws -> TaskPage {
        let limit = max(1, min(query.limit, 10_000))
        let rows = try await rows(matching(query, select: PostgresTaskRow.columnList, after: query.cursor, limit: limit + 1))
        // A damaged row goes to the dead letters and the listing goes on around it; it still moves the cursor on.
        var tasks: [TaskRecord] = []
        var corrupt: [(UUID, String)] = []
        var last: TaskID?
        for row in rows.prefix(limit) {
            do {
                let task = try PostgresTaskRow.decode(row)
                tasks.append(task)
                last = task.id
            } catch {
                guard let id = try? row.makeRandomAccess()[0].decode(UUID.self) else { throw error }
                corrupt.append((id, (error as? StoreError)?.message ?? "\(error)"))
                last = TaskID(id)
            }
        }
        if !corrupt.isEmpty { try await moveToDeadLetters(corrupt, now: Date(), claimed: false) }
        return TaskPage(tasks: tasks, nextCursor: rows.count > limit ? last : nil)
    }

    public func count(_ query: TaskQuery, upTo limit: Int) async throws -> Int {
        let counted = matching(query, select: "1", after: nil, limit: max(0, limit) + 1, counting: true)
        return try await rows(counted).first?.decode(Int.self) ?? 0
    }

    /// The tasks matching `query`'s filters after `cursor`, newest first, at most `limit`: one rule for listing and
    /// (with `counting`) for counting them.
    private func matching(_ query: TaskQuery, select: String, after cursor: TaskID?, limit: Int, counting: Bool = false) -> PostgresQuery {
        let states: [String]? = query.states.isEmpty ? nil : query.states.map(\.rawValue)
        let parent = query.parentID.flatMap { $0.uuid }
        let cursor = cursor.flatMap { $0.uuid }
        return """
            \(unescaped: counting ? "SELECT count(*) FROM (" : "")SELECT \(unescaped: select) FROM \(unescaped: s).\(unescaped: query.archived ? "task_archive" : "task")
            WHERE (\(query.queue)::text IS NULL OR queue = \(query.queue)::text)
              AND (\(states)::text[] IS NULL OR state = ANY(\(states)::text[]))
              AND (\(query.handler)::text IS NULL OR handler = \(query.handler)::text)
              AND (\(parent)::uuid IS NULL OR parent_id = \(parent)::uuid)
              AND (\(query.module)::text IS NULL OR module = \(query.module)::text)
              AND (\(query.tag)::text IS NULL OR tags @> jsonb_build_array(\(query.tag)::text))
              AND (\(query.createdAfter)::timestamptz IS NULL OR created_at >= \(query.createdAfter)::timestamptz)
              AND (\(query.createdBefore)::timestamptz IS NULL OR created_at < \(query.createdBefore)::timestamptz)
              AND (\(query.text)::text IS NULL OR strpos(arguments, \(query.text)::text) > 0)
              AND (\(query.idempotencyKey)::text IS NULL OR idempotency_key = \(query.idempotencyKey)::text)
              AND (\(cursor)::uuid IS NULL OR id \(unescaped: query.oldestFirst ? ">" : "<") \(cursor)::uuid)
              AND (NOT \(query.rootsOnly) OR parent_id IS NULL)
              AND (\(query.includeInternal) OR NOT internal)
              AND (\(query.includeFolded || query.parentID != nil) OR NOT folded)
            ORDER BY id \(unescaped: query.oldestFirst ? "ASC" : "DESC") LIMIT \(limit)\(unescaped: counting ? ") AS matching" : "")
            """
    }

    public func statistics() async throws -> [QueueStatistics] {
        var byQueue: [String: [TaskState: Int]] = [:]
        for row in try await rows("SELECT name FROM \(unescaped: s).queue") { byQueue[try row.decode(String.self)] = [:] }
        for row in try await rows("SELECT queue, state, count(*) FROM \(unescaped: s).task GROUP BY queue, state") {
            let (queue, stateText, count) = try row.decode((String, String, Int).self)
            byQueue[queue, default: [:]][TaskState(rawValue: stateText) ?? .dead, default: 0] += count
        }
        return byQueue.keys.sorted().map { QueueStatistics(queue: $0, counts: byQueue[$0] ?? [:]) }
    }

    public func finishedPerMinute(minutes: Int, now: Date) async throws -> [FinishedMinute] {
        let since = Date(timeIntervalSince1970: Double(FinishedMinute.first(of: minutes, now: now)) * 60)
        let rows = try await rows(
            """
            SELECT floor(extract(epoch FROM finished_at) / 60)::bigint, state, count(*) FROM \(unescaped: s).task
            WHERE finished_at >= \(since) AND state IN ('completed', 'failed', 'cancelled', 'dead')
            GROUP BY 1, 2
            """
        )
        let counts = try rows.map { row in
            let (minute, state, count) = try row.decode((Int64, String, Int).self)
            return (minute: minute, state: TaskState(rawValue: state) ?? .dead, count: count)
        }
        return FinishedMinute.series(counts, minutes: minutes, now: now)
    }

    public func taskStatuses(now: Date) async throws -> TaskStatuses {
        // The last attempt's outcome tells lost from failed, so only failed tasks join it.
        let rows = try await rows(
            """
            SELECT CASE WHEN t.parent_id IS NULL THEN t.module END, t.queue, t.handler, t.state, t.started_at IS NOT NULL,
                a.outcome, count(*), t.requires
            FROM \(unescaped: s).task t LEFT JOIN \(unescaped: s).attempt a ON t.state = 'failed' AND a.task_id = t.id AND a.number = t.attempt
            GROUP BY 1, 2, 3, 4, 5, 6, 8
            """
        )
        let groups = try rows.map { row in
            let (module, queue, handler, state, started, outcome, count, requires) = try row.decode(
                (String?, String, String, String, Bool, String?, Int, String?).self
            )
            return StatusGroup(
                module: module,
                queue: queue,
                handler: handler,
                state: TaskState(rawValue: state) ?? .dead,
                started: started,
                lastOutcome: outcome.flatMap(AttemptOutcome.init),
                count: count,
                requires: Requirement.tags(ofKey: requires)
            )
        }
        return TaskStatuses.tally(groups, takers: TaskTakers(workers: try await workers(states: [.running]), now: now))
    }

    public func nextRunAt(queues: [String], handlers: [String]) async throws -> Date? {
        var binds = PostgresBindings()
        var filter = "queue <> ALL(ARRAY(SELECT name FROM \(s).queue WHERE state <> 'active'))"
        if !queues.isEmpty {
            binds.append(queues)
            filter += " AND queue = ANY($\(binds.count)::text[])"
        }
        if !handlers.isEmpty {
            binds.append(handlers)
            filter += " AND handler = ANY($\(binds.count)::text[])"
        }
        // A pending task is due already: the first in claim order answers for all of them, through the claim index.
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT min(run_at) FROM (
                    (SELECT run_at FROM \(s).task WHERE state = 'scheduled' AND \(filter) ORDER BY run_at LIMIT 1)
                    UNION ALL
                    (SELECT run_at FROM \(s).task WHERE state = 'pending' AND \(filter) ORDER BY priority, run_at, id LIMIT 1)
                ) AS due
                """,
            binds: binds
        )
        return try await rows(query).first.flatMap { try $0.decode(Date?.self)?.wholeMilliseconds }
    }

    public func nextLeaseExpiry() async throws -> Date? {
        try await rows(
            "SELECT lease_expires_at FROM \(unescaped: s).task WHERE state = 'running' AND lease_expires_at IS NOT NULL ORDER BY lease_expires_at LIMIT 1"
        ).first.map { try $0.decode(Date.self).wholeMilliseconds }
    }
}
