import ErrandCore
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import GRDB
import Testing

/// What only the SQLite store does: files, schema versions, changes made by other connections.
@Suite struct SQLiteStoreTests {
    @Test func aCommitByAnotherConnectionIsSignalled() async throws {
        try await TemporaryDirectory.with { directory in
            let path = directory.appendingPathComponent("shared.db").path
            let watching = try SQLiteTaskStore(path: path)
            let writing = try SQLiteTaskStore(path: path)
            let changes = watching.changes()
            let before = changes.generation
            _ = try await writing.enqueue([NewTask(handler: "h")], now: Date())
            await eventually(timeout: 5, "the other connection's commit is signalled") { changes.generation > before }
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
}
