import ErrandStore
import GRDB

/// The SQLite schema, as versioned migrations. A database is migrated to the newest version when it is opened.
///
/// The version lives in `PRAGMA user_version`. Migrating runs in one `BEGIN IMMEDIATE` transaction, so processes
/// that open a new file at the same moment (say `errand serve` and `errand task add`) take turns: the first
/// migrates, the others find the work done.
enum SQLiteSchema {
    /// Migrations in order; migration `n` (1-based) brings the schema to version `n`.
    static let migrations = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15]

    /// Applies every migration the database lacks.
    /// - Throws: ``StoreError`` `.unavailable` when the file's schema is newer than this binary knows.
    static func migrate(_ pool: DatabasePool) throws {
        // A file already at this version needs no write lock: every CLI command opens the store, and taking the lock
        // (and writing the version again) each time made them queue behind a busy node's writes, and the node's
        // leader renewals behind them.
        let current = try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        if current == migrations.count { return }
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard version <= migrations.count else {
                    throw StoreError(
                        .unavailable,
                        "database schema version \(version) is newer than this errand understands (\(migrations.count)); upgrade errand"
                    )
                }
                for (index, migration) in migrations.enumerated() where index >= version {
                    try db.execute(sql: migration)
                }
                try db.execute(sql: "PRAGMA user_version = \(migrations.count)")
                return .commit
            }
        }
    }

    /// Version 15: a queue's `retry_priority_decrement` (riaktq lowers a retried task's priority), which its tasks
    /// take at enqueue unless they set their own. The change log needs no column: its rows' format 2 carries the task.
    static let v15 = """
        ALTER TABLE errand_queue ADD COLUMN retry_priority_decrement INTEGER NOT NULL DEFAULT 0;
        """

    /// Version 14: capability routing (riaktq's tags): a task's `requires`, the key of the tags a claimer must have
    /// (`gpu,ssd`, NULL for none; in the archive too), and every key ever stored (`errand_requirement`, a handful of
    /// rows). The claim index now holds only tasks that require nothing, and a second index holds the others by key:
    /// a claim walks the first, and the second only for the keys its tags meet, so waiting tasks that it cannot take
    /// cost it nothing, however many there are.
    static let v14 = """
        ALTER TABLE errand_task ADD COLUMN requires TEXT;
        ALTER TABLE errand_task_archive ADD COLUMN requires TEXT;
        CREATE TABLE errand_requirement (key TEXT PRIMARY KEY) WITHOUT ROWID;
        DROP INDEX errand_task_claim;
        CREATE INDEX errand_task_claim ON errand_task (priority, run_at, id) WHERE state IN ('scheduled', 'pending') AND requires IS NULL;
        CREATE INDEX errand_task_claim_requires ON errand_task (requires, priority, run_at, id)
            WHERE state IN ('scheduled', 'pending') AND requires IS NOT NULL;
        """

    /// Version 13: `fixed_lease`, whether a task's `time_to_resolve` bounds each attempt (Tarantool's rule, which a
    /// definition's launches follow): heartbeats do not extend such a lease. In the archive too.
    static let v13 = """
        ALTER TABLE errand_task ADD COLUMN fixed_lease INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE errand_task_archive ADD COLUMN fixed_lease INTEGER NOT NULL DEFAULT 0;
        """

    /// Version 12: the archive of finished trees (tasques' `archive_older_than`): the columns of `errand_task` as
    /// they are at this version (rows move by the names in `TaskColumns.task`), read by id, listed by id, and pruned
    /// by root and finish time. A migration that adds a task column adds it here too.
    static let v12 = """
        CREATE TABLE errand_task_archive AS SELECT * FROM errand_task WHERE 0;
        CREATE UNIQUE INDEX errand_task_archive_id ON errand_task_archive (id);
        CREATE INDEX errand_task_archive_finished ON errand_task_archive (finished_at) WHERE parent_id IS NULL;
        CREATE INDEX errand_task_archive_tree ON errand_task_archive (root_id) WHERE root_id IS NOT NULL;
        """

    /// Version 11: task definitions created at run time (`POST /v1/definitions/{name}`), kept beside their switch:
    /// `spec` is NULL for a row that only switches a configuration file's definition off. And a task's `meta`
    /// (a JSON object its caller attaches; tasques' context and reports live there), and an index on idempotency
    /// keys of every state (tasques refuses a task id in use by a finished task too; tasks without a key cost it
    /// nothing).
    static let v11 = """
        ALTER TABLE errand_definition ADD COLUMN spec TEXT;
        ALTER TABLE errand_definition ADD COLUMN created_at INTEGER;
        ALTER TABLE errand_task ADD COLUMN meta TEXT;
        CREATE INDEX errand_task_key ON errand_task (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;
        """

    /// Version 10: task trees (ScyllaDB's task manager): a task's labels (`type`, `scope`, `entity`, `keyspace`,
    /// `table_name`, `progress_units`), `locality`, `abortable`, its module's `sequence_number`, `user_task` and
    /// `target_worker` (a broadcast's part runs on one worker only), `has_children` (set with the first child, so that finishing a plain task costs no lookup of children),
    /// `folded`; each module's last sequence number; settings shared by every node (the TTLs). Trees are read by
    /// `root_id`, which plain tasks (roots without children) leave NULL, so the index costs them nothing.
    static let v10 = """
        ALTER TABLE errand_task ADD COLUMN progress_units TEXT;
        ALTER TABLE errand_task ADD COLUMN type TEXT;
        ALTER TABLE errand_task ADD COLUMN scope TEXT;
        ALTER TABLE errand_task ADD COLUMN entity TEXT;
        ALTER TABLE errand_task ADD COLUMN keyspace TEXT;
        ALTER TABLE errand_task ADD COLUMN table_name TEXT;
        ALTER TABLE errand_task ADD COLUMN locality TEXT NOT NULL DEFAULT 'local';
        ALTER TABLE errand_task ADD COLUMN abortable INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE errand_task ADD COLUMN sequence_number INTEGER;
        ALTER TABLE errand_task ADD COLUMN user_task INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE errand_task ADD COLUMN target_worker TEXT;
        ALTER TABLE errand_task ADD COLUMN has_children INTEGER NOT NULL DEFAULT 0;
        UPDATE errand_task SET has_children = 1 WHERE id IN (SELECT parent_id FROM errand_task WHERE parent_id IS NOT NULL);
        ALTER TABLE errand_task ADD COLUMN folded INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX errand_task_root ON errand_task (root_id) WHERE root_id IS NOT NULL;
        DROP INDEX errand_task_parent;
        CREATE INDEX errand_task_parent ON errand_task (parent_id, state) WHERE parent_id IS NOT NULL;
        CREATE TABLE errand_module (
            name TEXT PRIMARY KEY NOT NULL,
            last_sequence_number INTEGER NOT NULL
        );
        CREATE TABLE errand_setting (
            name TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """

    /// Version 9: the log of state changes as one row per write transaction (``ChangeLog``), replacing version 6's
    /// row per change written by triggers, which halved the enqueue rate. A row's `id` is the sequence number of its
    /// first change; `changes` is a JSON array of `[task_id, queue, handler, from_state, to_state, attempt]`. The
    /// changes version 6 logged are kept, under the same numbers, so cursors given out before stay valid.
    static let v9 = """
        CREATE TABLE errand_state_change (
            id INTEGER PRIMARY KEY,
            count INTEGER NOT NULL,
            at INTEGER NOT NULL,
            changes TEXT NOT NULL
        );
        INSERT INTO errand_state_change (id, count, at, changes)
            SELECT id, 1, at, json_array(json_array(task_id, queue, handler, from_state, to_state, attempt)) FROM errand_event;
        DROP TRIGGER errand_task_inserted;
        DROP TRIGGER errand_task_state_changed;
        DROP TABLE errand_event;
        """

    /// Version 8: a running attempt's progress, as its worker reports it.
    static let v8 = """
        ALTER TABLE errand_task ADD COLUMN progress_completed REAL;
        ALTER TABLE errand_task ADD COLUMN progress_total REAL;
        """

    /// Version 7: task definitions turned off at run time (the API's and the CLI's disable).
    static let v7 = """
        CREATE TABLE errand_definition (
            name TEXT PRIMARY KEY,
            enabled INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """

    /// Version 6: the log of state changes (`/v1/events`), written by triggers so that no write path can forget it;
    /// `at` is the database's clock in milliseconds. Ids are rowids without AUTOINCREMENT (whose bookkeeping row cost a
    /// fifth of an enqueue): they still only grow, as the janitor never deletes the newest change.
    static let v6 = """
        CREATE TABLE errand_event (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL,
            queue TEXT NOT NULL,
            handler TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE TRIGGER errand_task_inserted AFTER INSERT ON errand_task BEGIN
            INSERT INTO errand_event (task_id, queue, handler, from_state, to_state, attempt, at)
            VALUES (NEW.id, NEW.queue, NEW.handler, NULL, NEW.state, NEW.attempt,
                CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
        END;
        CREATE TRIGGER errand_task_state_changed AFTER UPDATE OF state ON errand_task WHEN OLD.state IS NOT NEW.state BEGIN
            INSERT INTO errand_event (task_id, queue, handler, from_state, to_state, attempt, at)
            VALUES (NEW.id, NEW.queue, NEW.handler, OLD.state, NEW.state, NEW.attempt,
                CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
        END;
        """

    /// Version 5: the worker registry (pftaskqueue's workers: heartbeats, lost, salvaged), who salvaged an attempt,
    /// and the dead-letter list (rows that could not be read).
    static let v5 = """
        CREATE TABLE errand_worker (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            lease_name TEXT NOT NULL,
            queues TEXT NOT NULL,
            spec TEXT NOT NULL,
            state TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            last_heartbeat_at INTEGER NOT NULL,
            heartbeat_expiration REAL NOT NULL,
            salvage_after REAL NOT NULL,
            finished_at INTEGER,
            salvaged_by TEXT,
            salvaged_at INTEGER
        );
        CREATE INDEX errand_worker_state ON errand_worker (state);
        ALTER TABLE errand_attempt ADD COLUMN salvaged_by TEXT;
        ALTER TABLE errand_attempt ADD COLUMN salvaged_at INTEGER;
        CREATE TABLE errand_dead_letter (
            id TEXT PRIMARY KEY,
            queue TEXT,
            body TEXT NOT NULL,
            error TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        """

    /// Version 4: a task's display name and its attempt timeout (pftaskqueue's `name` and `timeoutSeconds`).
    static let v4 = """
        ALTER TABLE errand_task ADD COLUMN name TEXT;
        ALTER TABLE errand_task ADD COLUMN timeout REAL;
        """

    /// Version 3: the scheduler's mark per schedule (its last slot), and the unfinished launches of each definition.
    static let v3 = """
        CREATE TABLE errand_schedule (
            name TEXT PRIMARY KEY,
            last_slot INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX errand_task_module_unfinished ON errand_task (module)
            WHERE module IS NOT NULL AND state IN ('scheduled', 'pending', 'running');
        """

    /// Version 2: the leader lease (one row per lease name).
    static let v2 = """
        CREATE TABLE errand_leader (
            name TEXT PRIMARY KEY,
            node TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        );
        """

    /// Version 1: queues, tasks and the launch log. Times are milliseconds since 1970 (UTC).
    static let v1 = """
        CREATE TABLE errand_queue (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('active', 'suspended')),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        INSERT INTO errand_queue (name, state, created_at, updated_at)
            VALUES ('default', 'active', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));

        CREATE TABLE errand_task (
            id TEXT PRIMARY KEY NOT NULL,
            queue TEXT NOT NULL,
            handler TEXT NOT NULL,
            arguments TEXT NOT NULL,
            priority INTEGER NOT NULL,
            run_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            charged_attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            retry_delay REAL NOT NULL,
            retry_delay_factor REAL NOT NULL,
            retry_max_delay REAL NOT NULL,
            retry_jitter REAL NOT NULL,
            retry_priority_decrement INTEGER NOT NULL,
            time_to_resolve REAL NOT NULL,
            idempotency_key TEXT,
            parent_id TEXT,
            root_id TEXT,
            module TEXT,
            internal INTEGER NOT NULL,
            tags TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            result TEXT,
            message TEXT,
            last_error TEXT,
            worker TEXT,
            lease_expires_at INTEGER
        );
        -- The claim reads waiting tasks in claim order; the partial index holds nothing else.
        CREATE INDEX errand_task_claim ON errand_task (priority, run_at, id) WHERE state IN ('scheduled', 'pending');
        -- The dispatcher asks when the next waiting task is due.
        CREATE INDEX errand_task_due ON errand_task (run_at) WHERE state IN ('scheduled', 'pending');
        -- One unfinished task per (queue, idempotency key).
        CREATE UNIQUE INDEX errand_task_idempotency ON errand_task (queue, idempotency_key)
            WHERE idempotency_key IS NOT NULL AND state IN ('scheduled', 'pending', 'running');
        CREATE INDEX errand_task_lease ON errand_task (lease_expires_at) WHERE state = 'running';
        CREATE INDEX errand_task_finished ON errand_task (finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX errand_task_queue_state ON errand_task (queue, state);
        CREATE INDEX errand_task_parent ON errand_task (parent_id) WHERE parent_id IS NOT NULL;

        CREATE TABLE errand_attempt (
            task_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            handler TEXT NOT NULL,
            worker TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            message TEXT,
            result TEXT,
            PRIMARY KEY (task_id, number)
        );
        CREATE INDEX errand_attempt_handler ON errand_attempt (handler, finished_at);
        """
}
