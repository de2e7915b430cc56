import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import GRDB
import Synchronization
import Testing

@testable import ErrandSQLite

/// What only the SQLite store does: files, schema versions, changes made by other connections.
@Suite(.timeLimit(.minutes(5))) struct SQLiteStoreTests {
    @Test func aCommitByAnotherConnectionIsSignalled() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("shared.db").path
            let watching = try SQLiteTaskStore(path: path)
            let writing = try SQLiteTaskStore(path: path)
            let changes = watching.changes()
            let before = changes.generation
            try await watching.withRunning {
                _ = try await writing.enqueue([NewTask(handler: "h")], now: Date())
                await eventually(timeout: 5, "the other connection's commit is signalled") { changes.generation > before }
            }
        }
    }

    /// The watcher and the checkpoints are the store's `run()`: they end with it, and one store runs once.
    @Test func runEndsWhenCancelledAndRunsOnce() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("run.db").path
            let store = try SQLiteTaskStore(path: path)
            let writing = try SQLiteTaskStore(path: path)
            let changes = store.changes()
            let running = Task { try await store.run() }
            await eventually(every: 0.1, "the running store sees another connection's commit") {
                _ = try? await writing.enqueue([NewTask(handler: "h")], now: Date())
                return changes.generation > 0
            }
            let second = await storeError { try await store.run() }
            #expect(second?.code == .invalid && second?.message.contains("runs already") == true)
            // Cancelled, it ends: the watcher's thread is woken to stop, the checkpoint loop sees the cancellation.
            running.cancel()
            try await running.value
        }
    }

    /// Turning a new file to WAL mode takes a lock SQLite's busy handler does not wait for: stores opening one new
    /// file at the same moment (a node and the first CLI command) all open it, and it is migrated once.
    @Test func storesOpeningOneNewFileTogetherAllOpenIt() async throws {
        try await TemporaryDirectory.with { directory in
            for round in 0..<10 {
                let path = directory.appendingPathComponent("together-\(round).db").path
                let failures = Mutex<[String]>([])
                DispatchQueue.concurrentPerform(iterations: 6) { _ in
                    do { _ = try SQLiteTaskStore(path: path) } catch { failures.withLock { $0.append("\(error)") } }
                }
                #expect(failures.withLock { $0 } == [], "round \(round)")
                let store = try SQLiteTaskStore(path: path)
                #expect(try await store.enqueue([NewTask(handler: "h")], now: Date()).count == 1)
            }
        }
    }

    @Test func aSchemaNewerThanTheBinaryIsRefused() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("future.db").path
            _ = try SQLiteTaskStore(path: path)
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
            do {
                _ = try SQLiteTaskStore(path: path)
                Issue.record("opened a database from the future")
            } catch let error as StoreError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains("schema version 99 is newer"))
            }
        }
    }

    @Test func reopeningKeepsEverything() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("keep.db").path
            let first = try SQLiteTaskStore(path: path)
            let task = try await first.enqueue([NewTask(handler: "h", arguments: #"{"keep":true}"#)], now: Date())[0].task
            let reopened = try SQLiteTaskStore(path: path)
            #expect(try await reopened.task(task.id) == task)
        }
    }

    @Test func aCorruptRowBecomesADeadLetterAndCanBeRedrivenOnceFixed() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("corrupt.db").path
            let store = try SQLiteTaskStore(path: path)
            let time = ManualTimeSource()
            let results = try await store.enqueue([NewTask(handler: "h", priority: 0), NewTask(handler: "h", priority: 1)], now: time.now)
            let broken = results[0].task
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "UPDATE errand_task SET tags = 'not json' WHERE id = ?", arguments: [broken.id.rawValue])
            }
            let claimed = try await store.claim(ClaimRequest(worker: "w", limit: 10, now: time.now))
            #expect(claimed.map(\.id) == [results[1].task.id])
            let letter = try #require(try await store.deadLetters(limit: 10).first)
            #expect(letter.queue == "default" && letter.error.contains("tags") && letter.body.contains("not json"))
            #expect(try await store.task(broken.id) == nil)
            // As stored it still cannot be read; the dead letter stays.
            await #expect(throws: StoreError.self) { _ = try await store.redrive(letter.id, body: nil, now: time.now) }
            #expect(try await store.deadLetters(limit: 10).count == 1)
            let unknownColumn = await storeError { _ = try await store.redrive(letter.id, body: #"{"id": "x", "colour": 1}"#, now: time.now) }
            #expect(unknownColumn?.code == .invalid && unknownColumn?.message.contains("colour is not a task column") == true)
            // Fixed, it comes back as it was.
            var columns = try #require(try JSONSerialization.jsonObject(with: Data(letter.body.utf8)) as? [String: Any])
            columns["tags"] = "[]"
            let fixed = String(decoding: try JSONSerialization.data(withJSONObject: columns), as: UTF8.self)
            let restored = try await store.redrive(letter.id, body: fixed, now: time.now)
            #expect(restored == broken)
            #expect(try await store.deadLetters(limit: 10).isEmpty)
            #expect(try await store.claim(ClaimRequest(worker: "w", limit: 10, now: time.now)).map(\.id) == [broken.id])
            let missing = await storeError { _ = try await store.redrive(letter.id, body: nil, now: time.now) }
            #expect(missing?.code == .notFound)
        }
    }

    @Test func aVersion8FileKeepsItsLoggedChangesAndTheirCursors() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("v8.db").path
            let old = try DatabaseQueue(path: path)
            let id = TaskIDGenerator.shared.next(now: Date())
            try await old.write { db in
                for migration in SQLiteSchema.migrations.prefix(8) { try db.execute(sql: migration) }
                try db.execute(sql: "PRAGMA user_version = 8")
                // What version 6's triggers wrote: one row per change, ids with a gap where the janitor pruned.
                try db.execute(
                    sql: """
                        INSERT INTO errand_event (id, task_id, queue, handler, from_state, to_state, attempt, at)
                        VALUES (7, ?, 'default', 'h', NULL, 'pending', 0, 1000), (9, ?, 'default', 'h', 'pending', 'running', 1, 2000)
                        """,
                    arguments: [id.rawValue, id.rawValue]
                )
            }
            try old.close()
            let store = try SQLiteTaskStore(path: path)
            let kept = try await store.stateChanges(after: nil, limit: 10)
            #expect(kept.map(\.cursor) == ["7", "9"])
            #expect(kept.map { "\($0.from?.rawValue ?? "new")>\($0.to.rawValue)@\($0.attempt)" } == ["new>pending@0", "pending>running@1"])
            #expect(kept.allSatisfy { $0.taskID == id && $0.handler == "h" } && kept.last?.at == Date(millisecondsSince1970: 2000))
            #expect(try await store.stateChanges(after: "7", limit: 10).map(\.cursor) == ["9"])
            _ = try await store.enqueue([NewTask(handler: "new"), NewTask(handler: "new")], now: Date())
            #expect(try await store.stateChanges(after: "9", limit: 10).map(\.cursor) == ["10", "11"])
            #expect(try await store.stateChangeHead() == "11")
        }
    }
}
