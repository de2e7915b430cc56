public import ErrandCore
import ErrandStore
public import Foundation
import GRDB

/// Task trees: abort, the tree read, modules, settings, and the tree rules (``TaskTree``) that saving a finished
/// task applies.
extension SQLiteTaskStore {
    static let selectChildren = "SELECT \(TaskRow.columnList) FROM errand_task WHERE parent_id = ?"
    static let selectTree = "SELECT \(TaskRow.columnList) FROM errand_task WHERE id = ? OR root_id = ? ORDER BY id"
    /// One probe of the (parent_id, state) index, however many children there are: a tree of n children settles in
    /// n probes, where counting them at each finish took n²/2 rows.
    static let hasUnfinishedChild = """
        SELECT EXISTS (SELECT 1 FROM errand_task WHERE parent_id = ? AND state IN ('scheduled', 'pending', 'running'))
        """

    public func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord {
        let task = try await writeTasks { db, log in
            guard let task = try Self.load(db, id) else { throw StoreError.notFound(id) }
            guard task.isAbortable else { throw StoreError.notAbortable(task) }
            let cancelled = try Self.transition(db, log, id, .cancel(reason: reason), now: now)
            try Self.cancelDescendants(db, log, of: task, now: now)
            return cancelled
        }
        changeSignal.notify()
        return task
    }

    /// Cancels what ``TaskTree/abortCascade(from:)`` names under `task`.
    private static func cancelDescendants(_ db: Database, _ log: ChangeLog, of task: TaskRecord, now: Date) throws {
        let tree = TaskTree(try loadTree(db, root: task.rootID ?? task.id))
        let reason = TaskTree.abortReason(of: task.id)
        for id in tree.abortCascade(from: task.id) {
            // Reloaded: cancelling one task can settle another (a parent awaiting it) in the same transaction.
            guard let current = try load(db, id), !current.state.isFinal else { continue }
            if case .success(let output) = TaskTransition.apply(.cancel(reason: reason), to: current, now: now) {
                try save(db, log, output, replacing: current)
            }
        }
    }

    public func tree(of id: TaskID) async throws -> [TaskRecord] {
        try await read { db in
            guard let task = try Self.load(db, id) else { throw StoreError.notFound(id) }
            return try Self.loadTree(db, root: task.rootID ?? task.id)
        }
    }

    static func loadTree(_ db: Database, root: TaskID) throws -> [TaskRecord] {
        try TaskRow.fetchAll(db, db.cachedStatement(sql: selectTree)) { raw in
            raw.bind(root.rawValue)
            raw.bind(root.rawValue)
        }
    }

    public func modules() async throws -> [String] {
        try await read { db in
            // A module stays known once used (its sequence numbers live on), drained or not.
            try String.fetchAll(db, sql: "SELECT name FROM errand_module UNION SELECT module FROM errand_task WHERE module IS NOT NULL ORDER BY 1")
        }
    }

    public func drainModule(_ module: String) async throws -> Int {
        try await deleteTrees(
            """
            SELECT id FROM errand_task t
            WHERE module = ? AND parent_id IS NULL AND locality = 'local'
              AND state IN ('completed', 'failed', 'cancelled', 'dead') AND \(Self.noUnfinishedDescendant)
            """,
            arguments: [module]
        )
    }

    /// Holds for a root `t` none of whose descendants is unfinished.
    static let noUnfinishedDescendant = """
        NOT EXISTS (
            SELECT 1 FROM errand_task d WHERE d.root_id = t.id AND d.state NOT IN ('completed', 'failed', 'cancelled', 'dead')
        )
        """

    /// Deletes the trees whose roots `select` returns (and their attempts) in one transaction; with `archiving`,
    /// moves them to the archive instead (their attempts stay). With `fromArchive`, `select` names archived roots,
    /// deleted from the archive with their attempts.
    /// - Returns: the number of tasks deleted (or archived).
    func deleteTrees(_ select: String, arguments: StatementArguments, archiving: Bool = false, fromArchive: Bool = false) async throws -> Int {
        let table = fromArchive ? "errand_task_archive" : "errand_task"
        return try await write { db in
            let roots = try String.fetchAll(db, sql: select, arguments: arguments)
            guard !roots.isEmpty else { return 0 }
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS errand_doomed (id TEXT PRIMARY KEY)")
            try db.execute(sql: "DELETE FROM temp.errand_doomed")
            let insert = try db.cachedStatement(sql: "INSERT INTO temp.errand_doomed (id) VALUES (?)")
            for root in roots { try insert.execute(arguments: [root]) }
            try db.execute(
                sql: "INSERT OR IGNORE INTO temp.errand_doomed (id) SELECT id FROM \(table) WHERE root_id IN (SELECT id FROM temp.errand_doomed)"
            )
            if archiving {
                try db.execute(
                    sql: """
                        INSERT INTO errand_task_archive (\(TaskRow.columnList))
                        SELECT \(TaskRow.columnList) FROM errand_task WHERE id IN (SELECT id FROM temp.errand_doomed)
                        """
                )
            } else {
                try db.execute(sql: "DELETE FROM errand_attempt WHERE task_id IN (SELECT id FROM temp.errand_doomed)")
            }
            try db.execute(sql: "DELETE FROM \(table) WHERE id IN (SELECT id FROM temp.errand_doomed)")
            let deleted = db.changesCount
            try db.execute(sql: "DELETE FROM temp.errand_doomed")
            return deleted
        }
    }

    public func setting(_ name: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM errand_setting WHERE name = ?", arguments: [name]) }
    }

    public func setSetting(_ name: String, to value: String?, now: Date) async throws {
        try await write { db in
            if let value {
                try db.execute(
                    sql: """
                        INSERT INTO errand_setting (name, value, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                        """,
                    arguments: [name, value, now.millisecondsSince1970]
                )
            } else {
                try db.execute(sql: "DELETE FROM errand_setting WHERE name = ?", arguments: [name])
            }
        }
    }

    // MARK: the tree rules, applied by `save`

    /// Whether a child of `id` is unfinished.
    static func hasUnfinishedChild(_ db: Database, _ id: TaskID) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: hasUnfinishedChild), arguments: [id.rawValue]) ?? false
    }

    /// Whether `id` may await its children (running without a lease, or global and unfinished), read from three
    /// columns: every child's finish asks, so it must not decode the parent.
    static let mayAwaitChildren = """
        SELECT (state = 'running' AND worker IS NULL)
            OR (locality = 'global' AND target_worker = '' AND state NOT IN ('completed', 'failed', 'cancelled', 'dead'))
        FROM errand_task WHERE id = ?
        """

    /// Ends `parentID` when it awaits its children and none is unfinished any more.
    /// - Returns: whether it ended the parent (whose save then applied the rules upwards, folding included).
    @discardableResult
    static func settle(_ db: Database, _ log: ChangeLog, _ parentID: TaskID, now: Date) throws -> Bool {
        guard try Bool.fetchOne(db.cachedStatement(sql: mayAwaitChildren), arguments: [parentID.rawValue]) == true,
            try !hasUnfinishedChild(db, parentID),
            let parent = try load(db, parentID), parent.awaitsChildren
        else { return false }
        let children = try TaskRow.fetchAll(db, db.cachedStatement(sql: selectChildren)) { $0.bind(parentID.rawValue) }
        guard let event = TaskTree.settlement(of: children),
            case .success(let output) = TaskTransition.apply(event, to: parent, now: now)
        else { return false }
        try save(db, log, output, replacing: parent)
        return true
    }

    /// Folds, in the tree of `root` once the root is finished, what ``TaskTree/foldable()`` names: the internal
    /// completed tasks none of whose descendants did not complete. In SQL, so that a tree is never loaded to fold it:
    /// the tasks that did not complete and all their ancestors are "tainted"; every other internal completed task
    /// folds (the conformance suite checks that this is `foldable()`).
    static func fold(_ db: Database, root: TaskID) throws {
        let state = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM errand_task WHERE id = ?"), arguments: [root.rawValue])
        guard let state, TaskState(rawValue: state)?.isFinal == true else { return }
        try db.cachedStatement(sql: foldTree).execute(arguments: [root.rawValue])
        guard db.changesCount > 0 else { return }
        try db.cachedStatement(
            sql: "DELETE FROM errand_attempt WHERE task_id IN (SELECT id FROM errand_task WHERE root_id = ? AND folded = 1)"
        ).execute(arguments: [root.rawValue])
    }

    static let foldTree = """
        WITH RECURSIVE tainted (id, parent_id) AS (
            SELECT id, parent_id FROM errand_task WHERE root_id = ?1 AND state <> 'completed'
            UNION
            SELECT t.id, t.parent_id FROM errand_task t JOIN tainted ON t.id = tainted.parent_id
        )
        UPDATE errand_task SET folded = 1, arguments = '{}'
        WHERE root_id = ?1 AND internal = 1 AND state = 'completed' AND folded = 0 AND id NOT IN (SELECT id FROM tainted)
        """
}
