public import ErrandCore
public import ErrandStore
public import Foundation
public import PostgresNIO

extension PostgresTaskStore {
    public func enqueue(_ tasks: [NewTask], now: Date, intoSuspendedQueues: Bool) async throws -> [EnqueueResult] {
        for (index, task) in tasks.enumerated() {
            do { try task.validate() } catch { throw StoreError.invalid(error, index: tasks.count > 1 ? index : nil) }
        }
        guard !tasks.isEmpty else { return [] }
        try await registerRequirements(of: tasks)
        // The first wake-up of a quiet spell goes out inside the transaction (delivered at commit, no round trip of
        // its own); later ones within the debounce window merge into one trailing NOTIFY sent after the commit.
        let queues = Set(tasks.map(\.queue))
        let leading = wakeUps.leadingEdge(queues)
        // A big batch gets longer than one operation's deadline: a second per 10,000 tasks more.
        let timeout = configuration.operationTimeout + Double(tasks.count) / 10_000
        let results =
            if tasks.count < Self.copyThreshold, !tasks.contains(where: { $0.parentID != nil || $0.module != nil }) {
                try await enqueueAlone(tasks, now: now, notifying: leading, orSuspended: intoSuspendedQueues)
            } else {
                try await transaction(timeout: timeout) { connection in
                    try await self.insert(tasks, now: now, notifying: leading, orSuspended: intoSuspendedQueues, on: connection)
                }
            }
        let woken = Set(results.filter(\.isNew).map(\.task.queue))
        if !woken.isEmpty {
            changeSignal.notify()
            let rest = woken.subtracting(leading)
            if !rest.isEmpty { await wakeUps.request(rest) }
        }
        return results
    }

    /// Enqueues inside a transaction the caller holds: the tasks exist if and only if that transaction commits.
    ///
    /// ```swift
    /// try await client.withTransaction(logger: logger) { connection in
    ///     try await connection.query("INSERT INTO orders …", logger: logger)
    ///     try await store.enqueue([NewTask(handler: "orders.confirm")], now: Date(), on: connection)
    /// }
    /// ```
    /// Dispatchers are woken by the `NOTIFY` this sends, which PostgreSQL delivers at commit (and not at all on
    /// rollback).
    public func enqueue(_ tasks: [NewTask], now: Date, on connection: PostgresConnection) async throws -> [EnqueueResult] {
        for (index, task) in tasks.enumerated() {
            do { try task.validate() } catch { throw StoreError.invalid(error, index: tasks.count > 1 ? index : nil) }
        }
        guard !tasks.isEmpty else { return [] }
        try await registerRequirements(of: tasks)
        return try await perform { _ in
            try await self.insert(tasks, now: now, notifying: Array(Set(tasks.map(\.queue))), on: connection)
        }
    }

    /// Records the requirement keys of `tasks` (``Requirement``), before they are stored: a tagged claim reads them to
    /// know which keys its tags meet. A key recorded for tasks that were then not stored costs a claim one empty index
    /// probe. Tasks without requirements cost nothing here.
    func registerRequirements(of tasks: [NewTask]) async throws {
        let keys = Array(Set(tasks.compactMap { Requirement.key($0.requires) })).sorted()
        guard !keys.isEmpty else { return }
        _ = try await rows("INSERT INTO \(unescaped: s).requirement (key) SELECT unnest(\(keys)::text[]) ON CONFLICT DO NOTHING")
    }

    public func enqueueSlot(_ task: NewTask, schedule name: String, slot: Date, skipIfOutstanding: Bool, now: Date) async throws -> SlotResult {
        let task = try task.launch(ofSchedule: name)
        try await registerRequirements(of: [task])
        let slot = slot.wholeMilliseconds
        let result = try await transaction { connection -> SlotResult in
            // The schedule's row, locked: concurrent enqueues of one schedule's slots take turns.
            _ = try await self.rows(
                "INSERT INTO \(unescaped: self.s).schedule (name, updated_at) VALUES (\(name), \(now)) ON CONFLICT (name) DO NOTHING",
                on: connection
            )
            let mark = try await self.rows("SELECT last_slot FROM \(unescaped: self.s).schedule WHERE name = \(name) FOR UPDATE", on: connection)
            if let last = try mark.first?.decode(Date?.self), last >= slot { return .alreadyDone }
            let advance: PostgresQuery = "UPDATE \(unescaped: self.s).schedule SET last_slot = \(slot), updated_at = \(now) WHERE name = \(name)"
            if skipIfOutstanding {
                let outstanding = try await self.rows(
                    """
                    SELECT 1 FROM \(unescaped: self.s).task WHERE module = \(name) AND state IN ('scheduled', 'pending', 'running') LIMIT 1
                    """,
                    on: connection
                )
                if !outstanding.isEmpty {
                    _ = try await self.rows(advance, on: connection)
                    return .skippedOutstanding
                }
            }
            let inserted = try await self.insert([task], now: now, notifying: [task.queue], on: connection)
            _ = try await self.rows(advance, on: connection)
            return inserted[0].isNew ? .enqueued(inserted[0].task) : .alreadyDone
        }
        if result.task != nil { changeSignal.notify() }
        return result
    }

    public func scheduleMark(_ name: String) async throws -> Date? {
        try await rows("SELECT last_slot FROM \(unescaped: s).schedule WHERE name = \(name)").first?.decode(Date?.self)?.wholeMilliseconds
    }

    /// Batches at least this big, without idempotency keys, go in by `COPY`; smaller ones by one `INSERT`, which
    /// takes one round trip fewer.
    static let copyThreshold = 64

    /// Rows per `COPY` data message: 250 enqueued 1,000-task batches about 20 % faster than 1,000 (and than 100).
    static let copyPiece = 250

    /// Inserts a validated batch on a connection inside a transaction, and sends `NOTIFY` on `channel` for each of
    /// `notifying` (delivered at commit).
    private func insert(
        _ tasks: [NewTask],
        now: Date,
        notifying: some Collection<String>,
        orSuspended: Bool = false,
        on connection: PostgresConnection
    ) async throws -> [EnqueueResult] {
        let queues = Array(Set(tasks.map(\.queue)))
        var states: [String: String] = [:]
        var decrements: [String: Int] = [:]
        let queueQuery: PostgresQuery =
            notifying.isEmpty
            ? "SELECT name, state, retry_priority_decrement FROM \(unescaped: s).queue WHERE name = ANY(\(queues)) FOR SHARE"
            : """
            WITH woken AS MATERIALIZED (SELECT pg_notify(\(channel), key) FROM unnest(\(Array(notifying))::text[]) AS key)
            SELECT q.name, q.state, q.retry_priority_decrement FROM \(unescaped: s).queue AS q
            WHERE q.name = ANY(\(queues)) AND (SELECT count(*) FROM woken) >= 0
            FOR SHARE OF q
            """
        for row in try await rows(queueQuery, on: connection) {
            let (name, state, decrement) = try row.decode((String, String, Int).self)
            states[name] = state
            decrements[name] = decrement
        }
        try Self.requireActive(tasks, states: states, orSuspended: orSuspended)
        var parents: [TaskID: TaskRecord] = [:]
        let parentIDs = Array(Set(tasks.compactMap(\.parentID)))
        if !parentIDs.isEmpty {
            let uuids = parentIDs.compactMap { $0.uuid }
            // The parents' rows are locked, as a finish locks them: a parent cannot finish without seeing its child.
            for row in try await rows(
                """
                UPDATE \(unescaped: s).task SET has_children = true WHERE id = ANY(\(uuids))
                RETURNING \(unescaped: PostgresTaskRow.columnList)
                """,
                on: connection
            ) {
                let parent = try PostgresTaskRow.decode(row)
                parents[parent.id] = parent
            }
            if let missing = parentIDs.first(where: { parents[$0] == nil }) {
                throw StoreError(.invalid, "parent_id: no task with id \(missing)")
            }
        }
        let ids = PostgresTaskStore.ids
        var records = tasks.map { new -> TaskRecord in
            var record = TaskTransition.enqueue(new, id: ids.next(now: now), now: now)
            if let parent = new.parentID.flatMap({ parents[$0] }) { record.joinTree(of: parent) }
            record.retry.adoptQueuePriorityDecrement(decrements[new.queue] ?? 0)
            return record
        }
        try await numberOperations(&records, on: connection)
        var created = Set<TaskID>()
        var inserted = records
        let copied = records.filter { $0.idempotencyKey == nil && PostgresTaskRow.fitsCopy($0) }
        if copied.count >= Self.copyThreshold {
            // Nothing can conflict without a key: every row is new.
            try await copy(copied, on: connection)
            created = Set(copied.map(\.id))
            inserted = records.filter { !created.contains($0.id) }
        }
        // Statements of at most 1,000 rows: one huge statement costs more to bind than its rows to insert.
        for start in stride(from: 0, to: inserted.count, by: 1_000) {
            let chunk = Array(inserted[start..<min(inserted.count, start + 1_000)])
            for row in try await rows(Self.insertQuery(schema: s, chunk), on: connection) { created.insert(TaskID(try row.decode(UUID.self))) }
        }
        return try await results(records, created: created, on: connection)
    }

    /// Gives each root task of a module the module's next sequence numbers, in batch order.
    private func numberOperations(_ records: inout [TaskRecord], on connection: PostgresConnection) async throws {
        var counts: [String: Int] = [:]
        for record in records where record.parentID == nil {
            if let module = record.module { counts[module, default: 0] += 1 }
        }
        guard !counts.isEmpty else { return }
        let modules = counts.keys.sorted()
        var next: [String: Int] = [:]
        for row in try await rows(
            """
            INSERT INTO \(unescaped: s).module AS m (name, last_sequence_number)
            SELECT * FROM unnest(\(modules)::text[], \(modules.map { counts[$0] ?? 0 })::int8[])
            ON CONFLICT (name) DO UPDATE SET last_sequence_number = m.last_sequence_number + excluded.last_sequence_number
            RETURNING name, last_sequence_number
            """,
            on: connection
        ) {
            let (name, last) = try row.decode((String, Int).self)
            next[name] = last - (counts[name] ?? 0) + 1
        }
        for index in records.indices where records[index].parentID == nil {
            guard let module = records[index].module, let number = next[module] else { continue }
            records[index].sequenceNumber = number
            next[module] = number + 1
        }
    }

    /// Refuses a batch naming a queue that does not exist or is not active (or, with `orSuspended`, suspended);
    /// `states`: queue name → state.
    private static func requireActive(_ tasks: [NewTask], states: [String: String], orSuspended: Bool) throws {
        for queue in tasks.map(\.queue) {
            guard let state = states[queue] else { throw StoreError.unknownQueue(queue) }
            guard state == QueueState.active.rawValue || orSuspended else { throw StoreError.queueSuspended(queue) }
        }
    }

    /// The result of each record: created, or the task that holds its idempotency key (possibly one of this batch).
    /// Without a transaction the holder may have finished since the insert: then the latest task with the key.
    private func results(_ records: [TaskRecord], created: Set<TaskID>, on connection: PostgresConnection?) async throws -> [EnqueueResult] {
        var results: [EnqueueResult] = []
        results.reserveCapacity(records.count)
        var existing: [String: TaskRecord] = [:]
        for record in records {
            if created.contains(record.id) {
                results.append(.created(record))
                continue
            }
            let key = "\(record.queue)\u{0}\(record.idempotencyKey ?? "")"
            if existing[key] == nil {
                let found = try await rows(
                    """
                    SELECT \(unescaped: PostgresTaskRow.columnList) FROM \(unescaped: s).task
                    WHERE queue = \(record.queue) AND idempotency_key = \(record.idempotencyKey)
                    ORDER BY state IN ('scheduled', 'pending', 'running') DESC, created_at DESC, id DESC
                    LIMIT 1
                    """,
                    on: connection
                )
                guard let row = found.first else {
                    throw StoreError(.unavailable, "task \(record.id) was neither inserted nor found by its idempotency key")
                }
                existing[key] = try PostgresTaskRow.decode(row)
            }
            if let task = existing[key] { results.append(.existing(task)) }
        }
        return results
    }

    /// Enqueues a small batch without parents in one statement (see ``enqueueStatement(schema:_:channel:notifying:)``):
    /// one round trip, where a transaction takes four. Tasks not inserted for their idempotency key are looked up
    /// afterwards: the task holding the key, or, should it have finished just now, the latest with that key.
    private func enqueueAlone(_ tasks: [NewTask], now: Date, notifying: [String], orSuspended: Bool) async throws -> [EnqueueResult] {
        let ids = PostgresTaskStore.ids
        var records = tasks.map { TaskTransition.enqueue($0, id: ids.next(now: now), now: now) }
        var states: [String: String] = [:]
        var decrements: [String: Int] = [:]
        var created = Set<TaskID>()
        for row in try await rows(Self.enqueueStatement(schema: s, records, channel: channel, notifying: notifying, orSuspended: orSuspended)) {
            let (kind, a, b, decrement) = try row.decode((String, String, String?, Int?).self)
            switch kind {
            case "q":
                states[a] = b
                decrements[a] = decrement
            case "i": created.insert(TaskID(trusted: a))
            default: break
            }
        }
        try Self.requireActive(tasks, states: states, orSuspended: orSuspended)
        // The statement gave the rows their queue's decrement; the answer says the same.
        for index in records.indices { records[index].retry.adoptQueuePriorityDecrement(decrements[records[index].queue] ?? 0) }
        return try await results(records, created: created, on: nil)
    }

    /// Writes new tasks with `COPY … FROM STDIN`.
    private func copy(_ records: [TaskRecord], on connection: PostgresConnection) async throws {
        do {
            // The driver quotes the name it is given as one identifier; schema names are lowercase (validated).
            let plain = records.allSatisfy { $0.treeFields.areDefaults && $0.meta == nil && !$0.fixedLease && $0.requires.isEmpty }
            let columns = PostgresTaskRow.copyColumns(plain: plain)
            try await connection.copyFrom(table: "\(s)\".\"task", columns: columns, logger: logger) { writer in
                // In pieces, so that the server parses one while the next is written.
                for start in stride(from: 0, to: records.count, by: Self.copyPiece) {
                    let piece = Array(records[start..<min(records.count, start + Self.copyPiece)])
                    try await writer.write(PostgresTaskRow.copyText(piece, plain: plain))
                }
            }
        } catch {
            throw Self.storeError(error, configuration: configuration)
        }
    }

    /// Mints ids for this process's enqueues.
    static let ids = TaskIDGenerator()
}
