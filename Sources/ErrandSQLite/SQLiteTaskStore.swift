import ErrandCore
public import ErrandStore
import Foundation
import GRDB
public import ServiceLifecycle
import Synchronization

/// The embedded ``TaskStore``: one SQLite file in WAL mode, through GRDB.
///
/// Checkpoints (copying the write-ahead log into the database file) run on a connection of their own every
/// ``Configuration/checkpointInterval``, beside the writes instead of inside whichever commit fills the log: a commit
/// that ran SQLite's automatic checkpoint took milliseconds longer, which was most of the p99 of enqueue-to-start.
/// The automatic checkpoint stays as a backstop at ``Configuration/checkpointBackstopPages``.
///
/// Durability: `synchronous = NORMAL` in WAL mode. A committed transaction survives a crash of the process
/// (including `kill -9`); only a power loss or an operating-system crash can lose the last commits. Set
/// ``Configuration/synchronousFull`` to fsync every commit instead (several times slower per commit).
///
/// Several processes may open the same file (e.g. `errand serve` and the CLI): writes wait for each other up to
/// ``Configuration/busyTimeout``, and a change made by another process is signalled through ``changes()`` at once
/// (inotify on the database's files; bursts once per ``Configuration/changePollInterval``; where inotify is missing,
/// a `PRAGMA data_version` check that often). An idle store wakes nothing.
///
/// The background checkpoints and the change watcher run in ``run()``: run the store as a `Service` in the
/// `ServiceGroup` (before the node), or around a piece of work with `withRunning(_:)`. Without it every operation
/// still works; commits then checkpoint by themselves, and commits of other processes are found only by the
/// dispatchers' poll.
public final class SQLiteTaskStore: TaskStore, Service {
    /// How a store opens its file.
    public struct Configuration: Sendable {
        /// How long a write waits for another process's transaction before failing.
        public var busyTimeout: Double = 10
        /// fsync every commit (`synchronous = FULL`) instead of only at checkpoints.
        public var synchronousFull = false
        /// How often the change watcher reports a burst of commits made by other processes (or, without inotify, looks
        /// for them).
        public var changePollInterval: Duration = .milliseconds(20)
        /// How often the background checkpoint copies committed pages into the database file.
        public var checkpointInterval: Duration = .milliseconds(100)
        /// The log size, in pages, at which a commit checkpoints by itself (when the background one falls behind).
        public var checkpointBackstopPages = 10_000

        public init() {}
    }

    /// Path of the database file.
    public let path: String
    let pool: DatabasePool
    let changeSignal = ChangeSignal()
    private let configuration: Configuration
    private let watcher = Mutex<FileChangeWatcher?>(nil)
    /// Finished by the first ``changes()``: only then does ``run()`` watch the files.
    private let changesWanted: (stream: AsyncStream<Never>, continuation: AsyncStream<Never>.Continuation)
    private let running = Atomic<Bool>(false)
    /// Rung after every write transaction of this store: the checkpointer waits on it.
    private let writeSignal = ChangeSignal()
    /// This store's own writes: a log write seen during one, or just after, is most likely its own, and is looked at
    /// once rather than again and again.
    private let ownWrites = WriteActivity()

    /// Opens (creating if needed) and migrates the database at `path`.
    /// - Throws: ``StoreError`` `.unavailable` when the file cannot be opened or migrated, with the path and why.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        changesWanted = AsyncStream.makeStream()
        var config = GRDB.Configuration()
        config.busyMode = .timeout(configuration.busyTimeout)
        let synchronous = configuration.synchronousFull ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // A 64 MiB page cache per connection and memory-mapped reads keep hot pages out of read(2) calls.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(configuration.checkpointBackstopPages)")
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                throw StoreError(.unavailable, "cannot open database \(path): directory \(directory) does not exist")
            }
            pool = try Self.open(path: path, configuration: config, patience: configuration.busyTimeout)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(.unavailable, "cannot open database \(path): \(error.message ?? "\(error.resultCode)")")
        } catch {
            throw StoreError(.unavailable, "cannot open database \(path): \(error)")
        }
    }

    /// Opens and migrates the pool, trying again while the file is locked for up to `patience` seconds.
    ///
    /// Turning a new file to WAL mode takes a lock that SQLite's busy handler does not wait for, so two processes
    /// opening a new file together (`errand serve` and the first `errand task add`) could see "database is locked";
    /// the loser now waits its turn and finds the file in WAL mode.
    private static func open(path: String, configuration: GRDB.Configuration, patience: Double) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try SQLiteSchema.migrate(pool)
                return pool
            } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// Runs the background checkpoints and, once ``changes()`` was asked for, the change watcher, until cancelled or
    /// shut down gracefully. Call it once.
    /// - Throws: ``StoreError`` `.invalid` when it already runs.
    public func run() async throws {
        guard !running.exchange(true, ordering: .relaxed) else {
            throw StoreError(.invalid, "this SQLite store runs already: call its run() once")
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in self.changesWanted.stream {}
                    guard !Task.isCancelled, let watcher = self.watcher.withLock({ $0 }) else { return }
                    await watcher.run()
                }
                await self.checkpoints()
                group.cancelAll()
            }
        }
    }

    deinit {
        watcher.withLock { $0?.stop() }
    }

    public func changes() -> ChangeSignal {
        let first = watcher.withLock { watcher -> Bool in
            guard watcher == nil else { return false }
            watcher = startWatcher()
            return true
        }
        if first { changesWanted.continuation.finish() }
        return changeSignal
    }

    /// Watches the database's files for commits of other processes (``FileChangeWatcher``): no wake-up while
    /// nothing is written. The watch is in place before this returns, so every later commit is seen.
    ///
    /// A write to the files is a change only when `PRAGMA data_version` on this store's writer connection moved:
    /// it moves for commits of other connections only, so this store's own writes (leader renewals, heartbeats,
    /// which signal for themselves when they change tasks) wake nobody.
    private func startWatcher() -> FileChangeWatcher? {
        let signal = changeSignal
        let pool = self.pool
        let last = Mutex((try? pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }) ?? nil)
        let otherCommitted: @Sendable () -> Bool = {
            let version = try? pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }
            return last.withLock { last in
                defer { last = version ?? last }
                return version != nil && version != last
            }
        }
        let ownWrites = self.ownWrites
        return FileChangeWatcher(path: path, coalescing: configuration.changePollInterval, poll: otherCommitted) {
            if otherCommitted() {
                signal.notify()
                return .changed
            }
            // Nothing yet: another process's commit not visible yet (look again), or this store's own write (done).
            return ownWrites.isRecent ? .ownWrite : .notYet
        }
    }

    /// Runs a passive checkpoint ``Configuration/checkpointInterval`` after writes, on a connection of its own, until
    /// cancelled: it copies what no reader still needs and never waits for or blocks a writer. It sleeps while nothing
    /// is written, so an idle store costs nothing. Without that connection, commits checkpoint by themselves (the
    /// backstop) as before, and this waits to be cancelled.
    private func checkpoints() async {
        let writes = writeSignal
        let interval = configuration.checkpointInterval
        guard let connection = try? DatabaseQueue(path: path) else {
            while !Task.isCancelled { _ = await writes.wait(beyond: writes.generation) }
            return
        }
        var seen = writes.generation
        var pause = interval
        while !Task.isCancelled {
            seen = await writes.wait(beyond: seen)
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: pause)
            seen = writes.generation
            let frames = try? await connection.writeWithoutTransaction { db in
                try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { row -> Int in row[1] }
            }
            // A log of a few pages (an idle node's leader renewals and heartbeats) waits ten times longer for the
            // next checkpoint: latency comes from large logs, and each checkpoint syncs the file.
            pause = (frames ?? nil).map { $0 < 100 } == true ? interval * 10 : interval
        }
    }

    /// Runs `body` in one write transaction, turning SQLite errors into ``StoreError``.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        ownWrites.begin()
        defer {
            ownWrites.end()
            writeSignal.notify()
        }
        return try await reportingErrors { try await pool.write(body) }
    }

    /// Runs `body` in one write transaction that changes tasks: the changes it records in the ``ChangeLog`` are written
    /// to the log in the same transaction.
    func writeTasks<T: Sendable>(_ body: @escaping @Sendable (Database, ChangeLog) throws -> T) async throws -> T {
        try await write { db in
            let log = ChangeLog()
            let result = try body(db, log)
            try log.write(db)
            return result
        }
    }

    /// Runs `body` on a reader, turning SQLite errors into ``StoreError``.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await reportingErrors { try await pool.read(body) }
    }

    private func reportingErrors<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as DatabaseError {
            throw StoreError(.unavailable, "database \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Loads one task inside a transaction.
    static func load(_ db: Database, _ id: TaskID) throws -> TaskRecord? {
        try TaskRow.fetchAll(db, db.cachedStatement(sql: TaskRow.selectByID)) { $0.bind(id.rawValue) }.first
    }

    /// Writes a transition's result over `task`: the updated task, its state change and, when an attempt ended, its
    /// launch-log line.
    ///
    /// A task that would finish applies the tree rules (``TaskTree``) in the same transaction: it awaits its
    /// unfinished children instead of completing, settles a parent that awaited it, and folds its tree once the root
    /// is finished. `followUps` are children about to be inserted with it (a finish's follow-ups).
    /// - Returns: the task as saved.
    @discardableResult
    static func save(
        _ db: Database,
        _ log: ChangeLog,
        _ output: TransitionOutput,
        replacing task: TaskRecord,
        followUps: Int = 0
    ) throws -> TaskRecord {
        var output = output
        let finishing = output.task.state.isFinal && !task.state.isFinal
        if finishing, output.task.state == .completed, !task.isAwaitingChildren,
            try followUps > 0 || task.hasChildren && hasUnfinishedChild(db, task.id)
        {
            output = TaskTransition.awaitingChildren(output)
        }
        try RawStatement.execute(db, db.cachedStatement(sql: TaskRow.update)) { TaskRow.bindTransition(output.task, to: &$0) }
        log.record(output.task, replacing: task)
        if let attempt = output.endedAttempt {
            try RawStatement.execute(db, db.cachedStatement(sql: TaskRow.insertAttempt)) { TaskRow.bindAttempt(attempt, to: &$0) }
        }
        guard finishing, output.task.state.isFinal else { return output.task }
        if let parent = task.parentID, try settle(db, log, parent, now: output.task.finishedAt ?? task.createdAt) {
            return output.task  // the parent's save folded the tree if it was the last to end
        }
        if task.parentID != nil || task.hasChildren || followUps > 0 { try fold(db, root: task.rootID ?? task.id) }
        return output.task
    }

    /// Loads a task, applies `event` and saves the result, throwing when the task is missing or refuses.
    static func transition(_ db: Database, _ log: ChangeLog, _ id: TaskID, _ event: TaskEvent, now: Date) throws -> TaskRecord {
        guard let task = try load(db, id) else { throw StoreError.notFound(id) }
        switch TaskTransition.apply(event, to: task, now: now) {
        case .success(let output):
            return try save(db, log, output, replacing: task)
        case .failure(let refusal):
            throw StoreError.refused(refusal)
        }
    }
}

/// Whether a store's own write is under way or ended within the last 20 ms.
final class WriteActivity: Sendable {
    private let inProgress = Atomic<Int>(0)
    /// `CLOCK_MONOTONIC` nanoseconds when the last write ended.
    private let ended = Atomic<Int64>(0)

    func begin() { inProgress.add(1, ordering: .relaxed) }

    func end() {
        ended.store(Self.now(), ordering: .relaxed)
        inProgress.subtract(1, ordering: .relaxed)
    }

    var isRecent: Bool { inProgress.load(ordering: .relaxed) > 0 || Self.now() - ended.load(ordering: .relaxed) < 20_000_000 }

    private static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
