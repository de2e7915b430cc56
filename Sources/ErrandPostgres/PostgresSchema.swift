import ErrandStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema, as versioned migrations kept in `<schema>.migration`.
///
/// Migrating takes a transaction-scoped advisory lock first, so nodes that start together take turns: the first
/// migrates, the others find the work done. A database migrated by a newer Errand is refused.
enum PostgresSchema {
    /// Migrations in order; migration `n` (1-based) brings the schema to version `n`.
    static func migrations(_ s: String) -> [String] {
        [
            """
            CREATE TABLE \(s).queue (
                name text PRIMARY KEY,
                state text NOT NULL CHECK (state IN ('active', 'suspended')),
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            INSERT INTO \(s).queue (name, state, created_at, updated_at)
                VALUES ('default', 'active', date_trunc('milliseconds', now()), date_trunc('milliseconds', now()));

            CREATE TABLE \(s).task (
                id uuid PRIMARY KEY,
                queue text NOT NULL,
                handler text NOT NULL,
                arguments text NOT NULL,
                priority smallint NOT NULL,
                run_at timestamptz NOT NULL,
                state text NOT NULL,
                attempt integer NOT NULL,
                charged_attempts integer NOT NULL,
                max_attempts integer NOT NULL,
                retry_delay double precision NOT NULL,
                retry_delay_factor double precision NOT NULL,
                retry_max_delay double precision NOT NULL,
                retry_jitter double precision NOT NULL,
                retry_priority_decrement integer NOT NULL,
                time_to_resolve double precision NOT NULL,
                idempotency_key text,
                parent_id uuid,
                root_id uuid,
                module text,
                internal boolean NOT NULL,
                tags jsonb NOT NULL,
                created_at timestamptz NOT NULL,
                started_at timestamptz,
                finished_at timestamptz,
                result text,
                message text,
                last_error text,
                worker text,
                lease_expires_at timestamptz
            ) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
            -- The claim reads waiting tasks in claim order; the partial index holds nothing else.
            CREATE INDEX task_claim ON \(s).task (priority, run_at, id) WHERE state IN ('scheduled', 'pending');
            CREATE INDEX task_due ON \(s).task (run_at) WHERE state IN ('scheduled', 'pending');
            -- One unfinished task per (queue, idempotency key); enqueue relies on it with ON CONFLICT.
            CREATE UNIQUE INDEX task_idempotency ON \(s).task (queue, idempotency_key)
                WHERE idempotency_key IS NOT NULL AND state IN ('scheduled', 'pending', 'running');
            CREATE INDEX task_lease ON \(s).task (lease_expires_at) WHERE state = 'running';
            CREATE INDEX task_finished ON \(s).task (finished_at) WHERE finished_at IS NOT NULL;
            CREATE INDEX task_queue_state ON \(s).task (queue, state);
            CREATE INDEX task_parent ON \(s).task (parent_id) WHERE parent_id IS NOT NULL;

            CREATE TABLE \(s).attempt (
                task_id uuid NOT NULL REFERENCES \(s).task (id) ON DELETE CASCADE,
                number integer NOT NULL,
                handler text NOT NULL,
                worker text NOT NULL,
                started_at timestamptz NOT NULL,
                finished_at timestamptz NOT NULL,
                outcome text NOT NULL,
                message text,
                result text,
                PRIMARY KEY (task_id, number)
            ) WITH (autovacuum_vacuum_scale_factor = 0.02);
            CREATE INDEX attempt_handler ON \(s).attempt (handler, finished_at);
            """,
            """
            CREATE TABLE \(s).leader (
                name text PRIMARY KEY,
                node text NOT NULL,
                expires_at timestamptz NOT NULL
            );
            """,
            // Fewer indexes to maintain per state change (every claim and finish is a non-HOT update, which adds an
            // entry to each index whose predicate the new row meets): `task_queue_state` and `attempt_handler` served
            // no query that needed them fast, and `task_due` only has to hold tasks due later (a pending task is due).
            // The attempt table's foreign key goes too: its check was a fifth of every finish write; the store deletes
            // attempts with their tasks itself.
            """
            DROP INDEX \(s).task_queue_state;
            DROP INDEX \(s).attempt_handler;
            DROP INDEX \(s).task_due;
            CREATE INDEX task_due ON \(s).task (run_at) WHERE state = 'scheduled';
            ALTER TABLE \(s).attempt DROP CONSTRAINT attempt_task_id_fkey;
            -- The scheduler's mark per schedule (its last slot), moved in the transaction that enqueues the slot.
            CREATE TABLE \(s).schedule (
                name text PRIMARY KEY,
                last_slot timestamptz,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX task_module_unfinished ON \(s).task (module)
                WHERE module IS NOT NULL AND state IN ('scheduled', 'pending', 'running');
            \(claimFunction(s))
            """,
            // 4: a task's display name and its attempt timeout (pftaskqueue's `name` and `timeoutSeconds`).
            """
            ALTER TABLE \(s).task ADD COLUMN name text, ADD COLUMN timeout double precision;
            """,
            // 5: the worker registry, who salvaged an attempt, and the dead-letter list.
            """
            CREATE TABLE \(s).worker (
                id text PRIMARY KEY,
                name text NOT NULL,
                lease_name text NOT NULL,
                queues text NOT NULL,
                spec text NOT NULL,
                state text NOT NULL,
                started_at timestamptz NOT NULL,
                last_heartbeat_at timestamptz NOT NULL,
                heartbeat_expiration double precision NOT NULL,
                salvage_after double precision NOT NULL,
                finished_at timestamptz,
                salvaged_by text,
                salvaged_at timestamptz
            );
            CREATE INDEX worker_state ON \(s).worker (state);
            ALTER TABLE \(s).attempt ADD COLUMN salvaged_by text, ADD COLUMN salvaged_at timestamptz;
            CREATE TABLE \(s).dead_letter (
                id uuid PRIMARY KEY,
                queue text,
                body text NOT NULL,
                error text NOT NULL,
                created_at timestamptz NOT NULL
            );
            """,
            // 6: the log of state changes (`/v1/events`), written by statement-level triggers (one INSERT … SELECT per
            // statement, however many rows it changed). Readers order by the writing transaction's id, then the row id,
            // and read only transactions older than every one still open, so that a change committed late is never
            // skipped. Function bodies are one line: migrations are split at ";\n".
            """
            CREATE TABLE \(s).event (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                task_id uuid NOT NULL,
                queue text NOT NULL,
                handler text NOT NULL,
                from_state text,
                to_state text NOT NULL,
                attempt integer NOT NULL,
                at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
            );
            CREATE INDEX event_order ON \(s).event (xid, id);
            CREATE FUNCTION \(s).task_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO \(s).event (task_id, queue, handler, from_state, to_state, attempt) SELECT id, queue, handler, NULL, state, attempt FROM inserted_rows; RETURN NULL; END $$;
            CREATE TRIGGER task_inserted AFTER INSERT ON \(s).task REFERENCING NEW TABLE AS inserted_rows
                FOR EACH STATEMENT EXECUTE FUNCTION \(s).task_inserted();
            CREATE FUNCTION \(s).task_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO \(s).event (task_id, queue, handler, from_state, to_state, attempt) SELECT n.id, n.queue, n.handler, o.state, n.state, n.attempt FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.state IS DISTINCT FROM n.state; RETURN NULL; END $$;
            CREATE TRIGGER task_updated AFTER UPDATE ON \(s).task REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION \(s).task_updated();
            """,
            // 7: task definitions turned off at run time.
            """
            CREATE TABLE \(s).definition (
                name text PRIMARY KEY,
                enabled boolean NOT NULL,
                updated_at timestamptz NOT NULL
            );
            """,
            // 8: a running attempt's progress, as its worker reports it.
            """
            ALTER TABLE \(s).task ADD COLUMN progress_completed double precision, ADD COLUMN progress_total double precision;
            """,
            // 9: the log of state changes as one row per statement (arrays, one element per change), replacing 6's
            // row per change, which cost a third of the enqueue rate. 6's changes are kept, under the same ids.
            """
            CREATE TABLE \(s).state_change (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
                task_ids uuid[] NOT NULL,
                queues text[] NOT NULL,
                handlers text[] NOT NULL,
                from_states text[] NOT NULL,
                to_states text[] NOT NULL,
                attempts integer[] NOT NULL
            );
            INSERT INTO \(s).state_change (id, xid, at, task_ids, queues, handlers, from_states, to_states, attempts)
                SELECT id, xid, at, ARRAY[task_id], ARRAY[queue], ARRAY[handler], ARRAY[from_state], ARRAY[to_state], ARRAY[attempt]
                FROM \(s).event;
            SELECT setval(pg_get_serial_sequence('\(s).state_change', 'id'), coalesce(max(id), 0) + 1, false) FROM \(s).state_change;
            CREATE INDEX state_change_order ON \(s).state_change (xid, id);
            CREATE OR REPLACE FUNCTION \(s).task_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO \(s).state_change (task_ids, queues, handlers, from_states, to_states, attempts) SELECT array_agg(id), array_agg(queue), array_agg(handler), array_agg(NULL::text), array_agg(state), array_agg(attempt) FROM inserted_rows HAVING count(*) > 0; RETURN NULL; END $$;
            CREATE OR REPLACE FUNCTION \(s).task_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO \(s).state_change (task_ids, queues, handlers, from_states, to_states, attempts) SELECT array_agg(n.id), array_agg(n.queue), array_agg(n.handler), array_agg(o.state), array_agg(n.state), array_agg(n.attempt) FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.state IS DISTINCT FROM n.state HAVING count(*) > 0; RETURN NULL; END $$;
            DROP TABLE \(s).event;
            """,
            // 10: task trees (ScyllaDB's task manager): labels, locality, abortable, the module's sequence number,
            // user_task, target_worker (a broadcast's part runs on one worker only; the claim skips the others'),
            // has_children (set with the first child, so a plain task's finish looks up no children) and
            // folded; each module's last sequence number; settings shared by every node (the TTLs).
            // And the change-log trigger may not join its transition tables in a nested loop: PL/pgSQL caches a
            // plan that estimates one row in each, and an update of 5,000 rows then compared 25 million pairs
            // (2.8 s; a 1,000-row finish batch, 1 million). A hash join does it in milliseconds at any size.
            """
            ALTER TABLE \(s).task ADD COLUMN progress_units text, ADD COLUMN type text, ADD COLUMN scope text,
                ADD COLUMN entity text, ADD COLUMN keyspace text, ADD COLUMN table_name text,
                ADD COLUMN locality text NOT NULL DEFAULT 'local', ADD COLUMN abortable boolean NOT NULL DEFAULT true,
                ADD COLUMN sequence_number bigint, ADD COLUMN user_task boolean NOT NULL DEFAULT false, ADD COLUMN target_worker text,
                ADD COLUMN has_children boolean NOT NULL DEFAULT false, ADD COLUMN folded boolean NOT NULL DEFAULT false;
            UPDATE \(s).task SET has_children = true WHERE id IN (SELECT parent_id FROM \(s).task WHERE parent_id IS NOT NULL);
            CREATE INDEX task_root ON \(s).task (root_id) WHERE root_id IS NOT NULL;
            DROP INDEX \(s).task_parent;
            CREATE INDEX task_parent ON \(s).task (parent_id, state) WHERE parent_id IS NOT NULL;
            CREATE TABLE \(s).module (
                name text PRIMARY KEY,
                last_sequence_number bigint NOT NULL
            );
            CREATE TABLE \(s).setting (
                name text PRIMARY KEY,
                value text NOT NULL,
                updated_at timestamptz NOT NULL
            );
            \(claimFunction(s, skippingOthersParts: true));
            ALTER FUNCTION \(s).task_updated() SET enable_nestloop = off;
            """,
            // 11: task definitions created at run time, kept beside their switch (spec NULL: a switch only), and a
            // task's meta (a JSON object its caller attaches).
            """
            ALTER TABLE \(s).definition ADD COLUMN spec text, ADD COLUMN created_at timestamptz;
            ALTER TABLE \(s).task ADD COLUMN meta text;
            CREATE INDEX task_key ON \(s).task (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;
            """,
            // 12: the archive of finished trees (tasques' archive_older_than): task's columns as they are at this
            // version (rows move by the names in TaskColumns.task), read by id, listed by id, pruned by root and
            // finish time. No trigger: archiving and reading it change no state. A migration adding a task column
            // adds it here too.
            """
            CREATE TABLE \(s).task_archive (LIKE \(s).task INCLUDING DEFAULTS);
            ALTER TABLE \(s).task_archive ADD PRIMARY KEY (id);
            CREATE INDEX task_archive_finished ON \(s).task_archive (finished_at) WHERE parent_id IS NULL;
            CREATE INDEX task_archive_tree ON \(s).task_archive (root_id) WHERE root_id IS NOT NULL;
            """,
            // 13: fixed_lease, whether a task's time_to_resolve bounds each attempt (Tarantool's rule, which a
            // definition's launches follow): heartbeats do not extend such a lease. In the archive too.
            """
            ALTER TABLE \(s).task ADD COLUMN fixed_lease boolean NOT NULL DEFAULT false;
            ALTER TABLE \(s).task_archive ADD COLUMN fixed_lease boolean NOT NULL DEFAULT false;
            """,
            // 14: capability routing (riaktq's tags): a task's requires (the key of the tags a claimer must have,
            // gpu,ssd; NULL for none; in the archive too), every key ever stored (requirement, a handful of rows).
            // The claim index holds only tasks that require nothing, a second one the others by key: a claim walks the
            // first, and a tagged claim (claim_tagged) the second for the keys its tags meet, so waiting tasks a
            // claimer cannot take cost it nothing, however many there are.
            """
            ALTER TABLE \(s).task ADD COLUMN requires text;
            ALTER TABLE \(s).task_archive ADD COLUMN requires text;
            CREATE TABLE \(s).requirement (key text PRIMARY KEY);
            DROP INDEX \(s).task_claim;
            CREATE INDEX task_claim ON \(s).task (priority, run_at, id) WHERE state IN ('scheduled', 'pending') AND requires IS NULL;
            CREATE INDEX task_claim_requires ON \(s).task (requires, priority, run_at, id)
                WHERE state IN ('scheduled', 'pending') AND requires IS NOT NULL;
            \(claimFunction(s, skippingOthersParts: true, plainOnly: true));
            \(taggedClaimFunction(s));
            """,
            // 15: a change carries the task (riaktq's events): priority, retries left, worker, and on a change out of
            // running or into a final state its outcome (result, message, error, capped at StateChange.payloadCap
            // code points). Rows written before have none (NULL arrays read as NULL elements). And a queue's
            // retry_priority_decrement (riaktq lowers a retried task's priority), which its tasks take at enqueue
            // unless they set their own.
            """
            ALTER TABLE \(s).state_change ADD COLUMN priorities integer[], ADD COLUMN retries_left integer[],
                ADD COLUMN workers text[], ADD COLUMN outcomes jsonb[];
            ALTER TABLE \(s).queue ADD COLUMN retry_priority_decrement integer NOT NULL DEFAULT 0;
            \(changeTriggerFunctions(s))
            """,
        ]
    }

    /// The change-log triggers of migration 15: one row per statement, its arrays one element per changed task
    /// (``StateChange``; `StateChange.Outcome.of` is the same rule in Swift, for SQLite). No `;` ends a line inside a
    /// body: migrations are split at `;\n`.
    static func changeTriggerFunctions(_ s: String) -> String {
        let cap = StateChange.payloadCap
        func outcome(from: String) -> String {
            """
            CASE WHEN \(from) = 'running' OR n.state IN ('completed', 'failed', 'cancelled', 'dead') THEN jsonb_build_object(
                'result', CASE WHEN n.state = 'completed' AND char_length(n.result) <= \(cap) THEN n.result END,
                'message', left(n.message, \(cap)), 'error', left(n.last_error, \(cap)),
                'truncated', coalesce(n.state = 'completed' AND char_length(n.result) > \(cap), false)
                    OR coalesce(char_length(n.message) > \(cap), false) OR coalesce(char_length(n.last_error) > \(cap), false)) END
            """
        }
        let retriesLeft = "CASE WHEN n.max_attempts = -1 THEN -1 ELSE greatest(0, n.max_attempts - n.charged_attempts) END"
        let columns = "task_ids, queues, handlers, from_states, to_states, attempts, priorities, retries_left, workers, outcomes"
        return """
            CREATE OR REPLACE FUNCTION \(s).task_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                INSERT INTO \(s).state_change (\(columns))
                SELECT array_agg(n.id), array_agg(n.queue), array_agg(n.handler), array_agg(NULL::text), array_agg(n.state),
                    array_agg(n.attempt), array_agg(n.priority), array_agg(\(retriesLeft)), array_agg(n.worker),
                    array_agg(\(outcome(from: "NULL::text")))
                FROM inserted_rows n HAVING count(*) > 0; RETURN NULL; END $$;
            CREATE OR REPLACE FUNCTION \(s).task_updated() RETURNS trigger LANGUAGE plpgsql SET enable_nestloop = off AS $$ BEGIN
                INSERT INTO \(s).state_change (\(columns))
                SELECT array_agg(n.id), array_agg(n.queue), array_agg(n.handler), array_agg(o.state), array_agg(n.state),
                    array_agg(n.attempt), array_agg(n.priority), array_agg(\(retriesLeft)), array_agg(coalesce(n.worker, o.worker)),
                    array_agg(\(outcome(from: "o.state")))
                FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.state IS DISTINCT FROM n.state HAVING count(*) > 0; RETURN NULL; END $$;
            """
    }

    /// The claim, as a function so that it can forbid sorting: it must walk `task_claim` in order and stop after
    /// `max_tasks` rows. Planned as a plain statement, it sorts every waiting task when the table's statistics are
    /// stale (just after a big enqueue, before autovacuum analyses it): an external merge on disk, 40 ms instead of
    /// 7 for 100,000 waiting tasks. The `FOR UPDATE SKIP LOCKED` subquery is the fence: it locks exactly the rows the
    /// UPDATE then leases. The lease arithmetic is `TaskTransition`'s `.claim`. Each claimed row comes with the
    /// version (`xmin`) the claim wrote, so that the claimer can write the finish guarded by it without reading again.
    ///
    /// Migration 10 replaces it with one that skips the tasks only another worker may claim (`target_worker`); the
    /// migrations before it create the one without, since the column did not exist yet.
    static func claimFunction(_ s: String, skippingOthersParts: Bool = false, plainOnly: Bool = false) -> String {
        """
        CREATE \(skippingOthersParts ? "OR REPLACE " : "")FUNCTION \(s).claim(claim_now timestamptz, max_tasks bigint, worker_name text, only_queues text[],
            only_handlers text[])
        RETURNS TABLE (claimed_version xid, claimed_task \(s).task) LANGUAGE sql SET enable_sort = off AS $$
            UPDATE \(s).task AS t
            SET state = 'running', attempt = t.attempt + 1, charged_attempts = t.charged_attempts + 1,
                worker = worker_name, started_at = claim_now,
                lease_expires_at = claim_now + round(t.time_to_resolve * 1000) * interval '1 millisecond'
            WHERE t.id = ANY(ARRAY(
                SELECT id FROM \(s).task
                WHERE state IN ('scheduled', 'pending') AND run_at <= claim_now
                  AND queue <> ALL(ARRAY(SELECT name FROM \(s).queue WHERE state <> 'active'))
                  AND (cardinality(only_queues) = 0 OR queue = ANY(only_queues))
                  AND (cardinality(only_handlers) = 0 OR handler = ANY(only_handlers))
                  \(skippingOthersParts ? "AND (target_worker IS NULL OR target_worker = worker_name)" : "")
                  \(plainOnly ? "AND requires IS NULL" : "")
                ORDER BY priority, run_at, id
                LIMIT max_tasks
                FOR UPDATE SKIP LOCKED
            ))
            RETURNING t.xmin, t
        $$
        """
    }

    /// The claim of a claimer with tags (migration 14): the tasks that require nothing, by the claim index, and for
    /// each requirement key its tags meet (`met_keys`), that key's tasks by the requirement index, each cut at the
    /// limit; the best of them in claim order are then locked (`SKIP LOCKED`, the state checked again under the lock)
    /// and leased as ``claimFunction(_:skippingOthersParts:plainOnly:)`` leases them.
    static func taggedClaimFunction(_ s: String) -> String {
        let filters = """
            state IN ('scheduled', 'pending') AND run_at <= claim_now
                      AND queue <> ALL(ARRAY(SELECT name FROM \(s).queue WHERE state <> 'active'))
                      AND (cardinality(only_queues) = 0 OR queue = ANY(only_queues))
                      AND (cardinality(only_handlers) = 0 OR handler = ANY(only_handlers))
                      AND (target_worker IS NULL OR target_worker = worker_name)
            """
        return """
            CREATE FUNCTION \(s).claim_tagged(claim_now timestamptz, max_tasks bigint, worker_name text, only_queues text[],
                only_handlers text[], met_keys text[])
            RETURNS TABLE (claimed_version xid, claimed_task \(s).task) LANGUAGE sql AS $$
                UPDATE \(s).task AS t
                SET state = 'running', attempt = t.attempt + 1, charged_attempts = t.charged_attempts + 1,
                    worker = worker_name, started_at = claim_now,
                    lease_expires_at = claim_now + round(t.time_to_resolve * 1000) * interval '1 millisecond'
                WHERE t.id = ANY(ARRAY(
                    SELECT id FROM \(s).task
                    WHERE id = ANY(ARRAY(
                        SELECT c.id FROM (
                            (SELECT id, priority, run_at FROM \(s).task WHERE requires IS NULL AND \(filters)
                             ORDER BY priority, run_at, id LIMIT max_tasks)
                            UNION ALL
                            SELECT r.id, r.priority, r.run_at FROM unnest(met_keys) AS k(key), LATERAL (
                                SELECT id, priority, run_at FROM \(s).task WHERE requires = k.key AND \(filters)
                                ORDER BY priority, run_at, id LIMIT max_tasks
                            ) AS r
                        ) AS c
                        ORDER BY c.priority, c.run_at, c.id
                        LIMIT max_tasks
                    ))
                    AND state IN ('scheduled', 'pending')
                    FOR UPDATE SKIP LOCKED
                ))
                RETURNING t.xmin, t
            $$
            """
    }

    /// Whether a statement of a migration is only blank and comment lines.
    static func isBlank(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("--")
        }
    }

    /// Creates the schema if needed and applies every migration it lacks.
    /// - Throws: ``StoreError`` `.unavailable` when the schema is newer than this binary knows.
    static func migrate(_ connection: PostgresConnection, schema: String, logger: Logger) async throws {
        let all = migrations(schema)
        try await connection.withTransaction(logger: logger) { connection in
            // Serialises concurrent migrators across nodes; released at commit.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "CREATE TABLE IF NOT EXISTS \(schema).migration (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)"
                ),
                logger: logger
            )
            var version = 0
            for try await (applied, ) in try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0) FROM \(schema).migration"),
                logger: logger
            ).decode((Int.self)) {
                version = applied
            }
            guard version <= all.count else {
                throw StoreError(
                    .unavailable,
                    "schema \(schema) is at version \(version), newer than this errand understands (\(all.count)); upgrade errand"
                )
            }
            for (index, migration) in all.enumerated() where index >= version {
                // The extended protocol runs one statement per query.
                for statement in migration.components(separatedBy: ";\n") where !isBlank(statement) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(schema).migration (version, applied_at) VALUES (\(index + 1), now())"),
                    logger: logger
                )
            }
        }
    }
}
