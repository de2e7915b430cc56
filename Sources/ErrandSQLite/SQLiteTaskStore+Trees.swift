import ErrandCore
import ErrandStore
import Foundation
import GRDB

/// Task trees: abort, the tree read, modules, settings, and the tree rules (``TaskTree``) that saving a finished
/// task applies.
extension SQLiteTaskStore {
    static let selectChildren = "SELECT \(TaskRow.columnList) FROM errand_task WHERE parent_id = ?"
    static let selectTree = "SELECT \(TaskRow.columnList) FROM errand_task WHERE id = ? OR root_id = ? ORDER BY id"
    static let countChildren = """
        SELECT count(*), count(*) FILTER (WHERE state NOT IN ('completed', 'failed', 'cancelled', 'dead'))
        FROM errand_task WHERE parent_id = ?
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

    /// Cancels the unfinished abortable descendants of `task`, parents before children; a task that is not
    /// abortable keeps running, and so do its descendants.
    private static func cancelDescendants(_ db: Database, _ log: ChangeLog, of task: TaskRecord, now: Date) throws {
        let tree = TaskTree(try loadTree(db, root: task.rootID ?? task.id))
        var queue = tree.children(of: task.id)
        let reason = "aborted with task \(task.id)"
        while !queue.isEmpty {
            let next = queue.removeFirst()
            guard next.isAbortable else { continue }
            queue += tree.children(of: next.id)
            // Reloaded: cancelling one task can settle another (a parent awaiting it) in the same transaction.
            guard let current = try load(db, next.id), !current.state.isFinal else { continue }
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
            try String.fetchAll(db, sql: "SELECT DISTINCT module FROM errand_task WHERE module IS NOT NULL ORDER BY module")
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

    /// Deletes the trees whose roots `select` returns (and their attempts) in one transaction.
    /// - Returns: the number of tasks deleted.
    func deleteTrees(_ select: String, arguments: StatementArguments) async throws -> Int {
        try await write { db in
            let roots = try String.fetchAll(db, sql: select, arguments: arguments)
            guard !roots.isEmpty else { return 0 }
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS errand_doomed (id TEXT PRIMARY KEY)")
            try db.execute(sql: "DELETE FROM temp.errand_doomed")
            let insert = try db.cachedStatement(sql: "INSERT INTO temp.errand_doomed (id) VALUES (?)")
            for root in roots { try insert.execute(arguments: [root]) }
            try db.execute(
                sql: "INSERT OR IGNORE INTO temp.errand_doomed (id) SELECT id FROM errand_task WHERE root_id IN (SELECT id FROM temp.errand_doomed)"
            )
            try db.execute(sql: "DELETE FROM errand_attempt WHERE task_id IN (SELECT id FROM temp.errand_doomed)")
            try db.execute(sql: "DELETE FROM errand_task WHERE id IN (SELECT id FROM temp.errand_doomed)")
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

    /// How many children `id` has, and how many of them are unfinished.
    static func childCounts(_ db: Database, _ id: TaskID) throws -> (all: Int, unfinished: Int) {
        let statement = try db.cachedStatement(sql: countChildren)
        var counts = (all: 0, unfinished: 0)
        try RawStatement.each(db, statement) {
            $0.bind(id.rawValue)
        } row: { row in
            counts = (row.int(0), row.int(1))
        }
        return counts
    }

    /// Ends `parentID` when it awaits its children and none is unfinished any more.
    static func settle(_ db: Database, _ log: ChangeLog, _ parentID: TaskID, now: Date) throws {
        guard let parent = try load(db, parentID), parent.awaitsChildren, try childCounts(db, parentID).unfinished == 0
        else { return }
        let children = try TaskRow.fetchAll(db, db.cachedStatement(sql: selectChildren)) { $0.bind(parentID.rawValue) }
        guard let event = TaskTree.settlement(of: children),
            case .success(let output) = TaskTransition.apply(event, to: parent, now: now)
        else { return }
        try save(db, log, output, replacing: parent)
    }

    /// Folds what ``TaskTree/foldable()`` names in the tree of `root`, once the root is finished.
    static func fold(_ db: Database, root: TaskID) throws {
        guard let rootTask = try load(db, root), rootTask.state.isFinal else { return }
        let folded = TaskTree(try loadTree(db, root: root)).foldable()
        guard !folded.isEmpty else { return }
        let ids = StatementArguments(folded.map(\.rawValue))
        let list = placeholders(folded.count)
        try db.execute(sql: "UPDATE errand_task SET folded = 1, arguments = '{}' WHERE id IN (\(list))", arguments: ids)
        try db.execute(sql: "DELETE FROM errand_attempt WHERE task_id IN (\(list))", arguments: ids)
    }
}
