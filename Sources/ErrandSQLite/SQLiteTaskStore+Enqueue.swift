public import ErrandCore
public import ErrandStore
public import Foundation
import GRDB

extension SQLiteTaskStore {
    /// The unfinished task holding an idempotency key in a queue; the partial unique index makes it at most one.
    static let selectByIdempotencyKey = """
        SELECT \(TaskRow.columnList) FROM errand_task
        WHERE queue = ? AND idempotency_key = ? AND state IN ('scheduled', 'pending', 'running')
        """

    static let selectQueueState = "SELECT state FROM errand_queue WHERE name = ?"
    static let selectQueueForEnqueue = "SELECT state, retry_priority_decrement FROM errand_queue WHERE name = ?"
    static let selectQueueDecrement = "SELECT retry_priority_decrement FROM errand_queue WHERE name = ?"

    public func enqueue(_ tasks: [NewTask], now: Date, intoSuspendedQueues: Bool) async throws -> [EnqueueResult] {
        for (index, task) in tasks.enumerated() {
            do { try task.validate() } catch { throw StoreError.invalid(error, index: tasks.count > 1 ? index : nil) }
        }
        let ids = TaskIDGenerator.shared
        let results = try await writeTasks { db, log in
            var decrements: [String: Int] = [:]
            var parents: [TaskID: TaskRecord] = [:]
            var results: [EnqueueResult] = []
            results.reserveCapacity(tasks.count)
            for var new in tasks {
                let decrement = try decrements[new.queue] ?? Self.requireActiveQueue(db, new.queue, orSuspended: intoSuspendedQueues)
                decrements[new.queue] = decrement
                new.retry.adoptQueuePriorityDecrement(decrement)
                results.append(try Self.insert(db, log, new, id: ids.next(now: now), now: now, parents: &parents))
            }
            return results
        }
        if results.contains(where: \.isNew) { changeSignal.notify() }
        return results
    }

    /// Stores one validated task whose queue is known to be active, unless an unfinished task holds its idempotency key.
    /// `parents` keeps the parents read so far, so that a batch of a parent's children reads it once.
    static func insert(
        _ db: Database,
        _ log: ChangeLog,
        _ new: NewTask,
        id: TaskID,
        now: Date,
        parents: inout [TaskID: TaskRecord]
    ) throws -> EnqueueResult {
        if let key = new.idempotencyKey {
            let statement = try db.cachedStatement(sql: Self.selectByIdempotencyKey)
            let existing = try TaskRow.fetchAll(db, statement) { raw in
                raw.bind(new.queue)
                raw.bind(key)
            }
            if let existing = existing.first { return .existing(existing) }
        }
        var record = TaskTransition.enqueue(new, id: id, now: now)
        if let parentID = new.parentID {
            guard let parent = try parents[parentID] ?? Self.load(db, parentID) else {
                throw StoreError(.invalid, "parent_id: no task with id \(parentID)")
            }
            parents[parentID] = parent
            record.joinTree(of: parent)
        } else if let module = record.module {
            record.sequenceNumber = try nextSequenceNumber(db, module: module)
        }
        try insert(db, log, record)
        return .created(record)
    }

    /// Inserts a new task row and records its creation.
    static func insert(_ db: Database, _ log: ChangeLog, _ record: TaskRecord) throws {
        let plain = record.treeFields.areDefaults && record.meta == nil && !record.fixedLease && record.requires.isEmpty
        try RawStatement.execute(db, try db.cachedStatement(sql: plain ? TaskRow.insertPlain : TaskRow.insert)) {
            TaskRow.bindAll(record, plain: plain, to: &$0)
        }
        log.record(record, replacing: nil)
        if let key = Requirement.key(record.requires) {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO errand_requirement (key) VALUES (?)").execute(arguments: [key])
        }
        if let parent = record.parentID {
            try db.cachedStatement(sql: "UPDATE errand_task SET has_children = 1 WHERE id = ? AND has_children = 0")
                .execute(arguments: [parent.rawValue])
        }
    }

    /// The next operation number of `module`, counted in the store so that every node agrees.
    static func nextSequenceNumber(_ db: Database, module: String) throws -> Int {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO errand_module (name, last_sequence_number) VALUES (?, 1)
                ON CONFLICT (name) DO UPDATE SET last_sequence_number = last_sequence_number + 1
                RETURNING last_sequence_number
                """
        )
        return try Int.fetchOne(statement, arguments: [module]) ?? 1
    }

    public func enqueueSlot(_ task: NewTask, schedule name: String, slot: Date, skipIfOutstanding: Bool, now: Date) async throws -> SlotResult {
        let task = try task.launch(ofSchedule: name)
        let slot = slot.millisecondsSince1970
        let id = TaskIDGenerator.shared.next(now: now)
        let result = try await writeTasks { db, log -> SlotResult in
            if let mark = try Int64.fetchOne(db, sql: "SELECT last_slot FROM errand_schedule WHERE name = ?", arguments: [name]), mark >= slot {
                return .alreadyDone
            }
            let advance =
                "INSERT INTO errand_schedule (name, last_slot, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_slot = excluded.last_slot, updated_at = excluded.updated_at"
            if skipIfOutstanding,
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM errand_task WHERE module = ? AND state IN ('scheduled', 'pending', 'running'))",
                    arguments: [name]
                ) == true
            {
                try db.execute(sql: advance, arguments: [name, slot, now.millisecondsSince1970])
                return .skippedOutstanding
            }
            var task = task
            task.retry.adoptQueuePriorityDecrement(try Self.requireActiveQueue(db, task.queue))
            var parents: [TaskID: TaskRecord] = [:]
            let inserted = try Self.insert(db, log, task, id: id, now: now, parents: &parents)
            try db.execute(sql: advance, arguments: [name, slot, now.millisecondsSince1970])
            return inserted.isNew ? .enqueued(inserted.task) : .alreadyDone
        }
        if result.task != nil { changeSignal.notify() }
        return result
    }

    public func scheduleMark(_ name: String) async throws -> Date? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT last_slot FROM errand_schedule WHERE name = ?", arguments: [name]).map(
                Date.init(millisecondsSince1970:)
            )
        }
    }

    /// Throws unless `queue` exists and is active (or, with `orSuspended`, suspended).
    /// Refuses a queue that does not exist or is not active (or, with `orSuspended`, suspended).
    /// - Returns: the queue's ``QueueRecord/retryPriorityDecrement``.
    @discardableResult
    static func requireActiveQueue(_ db: Database, _ queue: String, orSuspended: Bool = false) throws -> Int {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: selectQueueForEnqueue), arguments: [queue]) else {
            throw StoreError.unknownQueue(queue)
        }
        let state: String = row[0]
        guard state == QueueState.active.rawValue || orSuspended else { throw StoreError.queueSuspended(queue) }
        return row[1]
    }
}
