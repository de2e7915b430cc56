import ErrandCore
import Foundation
import PostgresNIO

extension PostgresTaskStore {
    /// One `INSERT … SELECT FROM unnest(…)` for the whole batch; the partial unique index settles idempotency keys.
    /// Rows are inserted only if `condition` (SQL) holds. A row whose retry `priority_decrement` is 0 takes
    /// `queueDecrement(queue)` (SQL of the row's queue name `u.queue`; the queue's `retry_priority_decrement`), when
    /// given: records that did not take it in Swift already (``RetryPolicy/adoptQueuePriorityDecrement(_:)``).
    static func insertQuery(
        schema: String,
        _ records: [TaskRecord],
        onlyIf condition: String = "true",
        queueDecrement: String? = nil
    ) -> PostgresQuery {
        let decrement = queueDecrement.map { "CASE WHEN u.decrement = 0 THEN coalesce(\($0), 0) ELSE u.decrement END" } ?? "u.decrement"
        func column<T>(_ value: (TaskRecord) -> T) -> [T] { records.map(value) }
        let ids = column { $0.id.uuid ?? UUID() }
        let queues = column(\.queue)
        let handlers = column(\.handler)
        let arguments = column(\.arguments)
        let priorities = column(\.priority)
        let runAts = column(\.runAt)
        let states = column(\.state.rawValue)
        let maxAttempts = column(\.retry.maxAttempts)
        let delays = column(\.retry.delay)
        let factors = column(\.retry.delayFactor)
        let maxDelays = column(\.retry.maxDelay)
        let jitters = column(\.retry.jitter)
        let decrements = column(\.retry.priorityDecrement)
        let ttrs = column(\.timeToResolve)
        // unnest cannot take arrays with NULLs from this driver: '' stands for NULL (none of these may be empty).
        let keys = column { $0.idempotencyKey ?? "" }
        let parents = column { $0.parentID?.rawValue ?? "" }
        let roots = column { $0.rootID?.rawValue ?? "" }
        let modules = column { $0.module ?? "" }
        let internals = column(\.isInternal)
        let tags = column { JSONText.array($0.tags) }
        let createdAts = column(\.createdAt)
        let names = column { $0.name ?? "" }
        // A timeout is > 0 when present, so -1 can stand for none.
        let timeouts = column { $0.timeout ?? -1 }
        let units = column { $0.progressUnits ?? "" }
        let types = column { $0.type ?? "" }
        let scopes = column { $0.scope ?? "" }
        let entities = column { $0.entity ?? "" }
        let keyspaces = column { $0.keyspace ?? "" }
        let tables = column { $0.table ?? "" }
        let localities = column(\.locality.rawValue)
        let abortables = column(\.isAbortable)
        // Sequence numbers start at 1, so -1 can stand for none.
        let sequences = column { $0.sequenceNumber ?? -1 }
        let userTasks = column(\.isUserTask)
        // A target is NULL, a worker's lease name or empty (a virtual task's): U+0001 stands for NULL.
        let targets = column { $0.targetWorker ?? "\u{1}" }
        // A meta is a JSON object, never empty.
        let metas = column { $0.meta ?? "" }
        let fixedLeases = column(\.fixedLease)
        // A requirement key is never empty.
        let requirements = column { Requirement.key($0.requires) ?? "" }
        return """
            INSERT INTO \(unescaped: schema).task (id, queue, handler, arguments, priority, run_at, state, attempt,
                charged_attempts, max_attempts, retry_delay, retry_delay_factor, retry_max_delay, retry_jitter,
                retry_priority_decrement, time_to_resolve, idempotency_key, parent_id, root_id, module, internal, tags,
                created_at, name, timeout, progress_units, type, scope, entity, keyspace, table_name, locality, abortable,
                sequence_number, user_task, target_worker, meta, fixed_lease, requires)
            SELECT u.id, u.queue, u.handler, u.arguments, u.priority, u.run_at, u.state, 0, 0, u.max_attempts, u.delay,
                u.factor, u.max_delay, u.jitter, \(unescaped: decrement), u.ttr, NULLIF(u.key, ''), NULLIF(u.parent, '')::uuid,
                NULLIF(u.root, '')::uuid, NULLIF(u.module, ''), u.internal, u.tags::jsonb, u.created_at, NULLIF(u.name, ''),
                NULLIF(u.timeout, -1), NULLIF(u.units, ''), NULLIF(u.type, ''), NULLIF(u.scope, ''), NULLIF(u.entity, ''),
                NULLIF(u.keyspace, ''), NULLIF(u.table_name, ''), u.locality, u.abortable, NULLIF(u.sequence, -1), u.user_task, NULLIF(u.target, chr(1)),
                NULLIF(u.meta, ''), u.fixed_lease, NULLIF(u.requires, '')
            FROM unnest(\(ids)::uuid[], \(queues)::text[], \(handlers)::text[], \(arguments)::text[], \(priorities)::int[],
                \(runAts)::timestamptz[], \(states)::text[], \(maxAttempts)::int[], \(delays)::float8[], \(factors)::float8[],
                \(maxDelays)::float8[], \(jitters)::float8[], \(decrements)::int[], \(ttrs)::float8[], \(keys)::text[],
                \(parents)::text[], \(roots)::text[], \(modules)::text[], \(internals)::bool[], \(tags)::text[],
                \(createdAts)::timestamptz[], \(names)::text[], \(timeouts)::float8[], \(units)::text[], \(types)::text[],
                \(scopes)::text[], \(entities)::text[], \(keyspaces)::text[], \(tables)::text[], \(localities)::text[],
                \(abortables)::bool[], \(sequences)::int8[], \(userTasks)::bool[], \(targets)::text[], \(metas)::text[],
                \(fixedLeases)::bool[], \(requirements)::text[])
                WITH ORDINALITY AS u(id, queue, handler, arguments, priority, run_at, state, max_attempts, delay, factor,
                max_delay, jitter, decrement, ttr, key, parent, root, module, internal, tags, created_at, name, timeout,
                units, type, scope, entity, keyspace, table_name, locality, abortable, sequence, user_task, target, meta, fixed_lease, requires, position)
            WHERE \(unescaped: condition)
            ORDER BY u.position
            ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL AND state IN ('scheduled', 'pending', 'running')
            DO NOTHING
            RETURNING id
            """
    }

    /// The whole enqueue of a small batch as one statement, so that it commits on its own in one round trip: locks
    /// the queue rows (`FOR SHARE`, so that a queue cannot be deleted or suspended under it), inserts only if every
    /// queue is active (or, with `orSuspended`, exists), and then sends `NOTIFY` for each of `notifying`. Rows:
    /// `('q', name, state, retry_priority_decrement)` per queue found, `('i', id, NULL, NULL)` per task inserted.
    static func enqueueStatement(
        schema s: String,
        _ records: [TaskRecord],
        channel: String,
        notifying: [String],
        orSuspended: Bool = false
    ) -> PostgresQuery {
        var insert = insertQuery(
            schema: s,
            records,
            onlyIf: "(SELECT ok FROM ok)",
            queueDecrement: "(SELECT retry_priority_decrement FROM q WHERE q.name = u.queue)"
        )
        let queues = Array(Set(records.map(\.queue)))
        insert.binds.append(queues)
        let queuesBind = insert.binds.count
        insert.binds.append(channel)
        let channelBind = insert.binds.count
        insert.binds.append(notifying)
        let notifyingBind = insert.binds.count
        let sql = """
            WITH q AS MATERIALIZED (
                SELECT name, state, retry_priority_decrement FROM \(s).queue WHERE name = ANY($\(queuesBind)::text[]) FOR SHARE
            ), ok AS MATERIALIZED (
                SELECT count(*) = cardinality($\(queuesBind)::text[]) AS ok FROM q WHERE \(orSuspended ? "true" : "state = 'active'")
            ), inserted AS (
                \(insert.sql)
            ), woken AS MATERIALIZED (
                SELECT pg_notify($\(channelBind), key) FROM unnest($\(notifyingBind)::text[]) AS key WHERE (SELECT ok FROM ok)
            )
            SELECT 'q' AS kind, name AS a, state AS b, retry_priority_decrement AS c FROM q
            UNION ALL SELECT 'i', id::text, NULL, NULL FROM inserted
            UNION ALL SELECT 'w', count(*)::text, NULL, NULL FROM woken
            """
        return PostgresQuery(unsafeSQL: sql, binds: insert.binds)
    }
}
