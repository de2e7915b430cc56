import ErrandCore
import ErrandStore
import Foundation
import Testing

@testable import ErrandSQLite

/// The binary form of the SQLite change log: what is written reads back exactly, and anything else reads as nothing.
@Suite(.timeLimit(.minutes(5))) struct ChangeLogCodingTests {
    @Test func changesReadBackExactlyWithSharedNamesAndAnyId() throws {
        let now = Date()
        let new = TaskTransition.enqueue(
            NewTask(handler: "send \"quoted\" ✉️", queue: "billing", priority: -5),
            id: TaskIDGenerator.shared.next(now: now),
            now: now
        )
        var encoder = ChangeLogCoding.Encoder()
        encoder.append(new, replacing: nil)
        var running = new
        running.state = .running
        running.attempt = 300  // two varint bytes
        running.chargedAttempts = 1
        running.worker = "node-a/1"
        encoder.append(running, replacing: new)
        var odd = running
        odd.id = TaskID(trusted: "not-a-uuid")
        odd.retry.maxAttempts = RetryPolicy.unlimited
        encoder.append(odd, replacing: new)
        var done = running
        done.state = .completed
        done.worker = nil  // released: the change names the worker that ran it
        done.result = #"{"sent":true}"#
        done.message = "ok"
        encoder.append(done, replacing: running)
        let changes = try #require(ChangeLogCoding.decode(encoder.bytes()))
        #expect(encoder.count == 4)
        let handler = "send \"quoted\" ✉️"
        #expect(
            changes == [
                LoggedChange(
                    taskID: new.id.rawValue,
                    queue: "billing",
                    handler: handler,
                    from: nil,
                    to: "pending",
                    attempt: 0,
                    priority: -5,
                    retriesLeft: 3
                ),
                LoggedChange(
                    taskID: new.id.rawValue,
                    queue: "billing",
                    handler: handler,
                    from: "pending",
                    to: "running",
                    attempt: 300,
                    priority: -5,
                    retriesLeft: 2,
                    worker: "node-a/1"
                ),
                LoggedChange(
                    taskID: "not-a-uuid",
                    queue: "billing",
                    handler: handler,
                    from: "pending",
                    to: "running",
                    attempt: 300,
                    priority: -5,
                    retriesLeft: -1,
                    worker: "node-a/1"
                ),
                LoggedChange(
                    taskID: new.id.rawValue,
                    queue: "billing",
                    handler: handler,
                    from: "running",
                    to: "completed",
                    attempt: 300,
                    priority: -5,
                    retriesLeft: 2,
                    worker: "node-a/1",
                    outcome: StateChange.Outcome(result: #"{"sent":true}"#, message: "ok", error: nil, truncated: false)
                ),
            ]
        )
        // Names are stored once per row: four changes of one task cost little more than one.
        #expect(encoder.bytes().count < 190, "\(encoder.bytes().count) bytes")
    }

    /// A result longer than the cap is left out, a message cut to it, and the change says so.
    @Test func anOutcomeIsCappedAndSaysSo() throws {
        let now = Date()
        var task = TaskTransition.enqueue(NewTask(handler: "h"), id: TaskIDGenerator.shared.next(now: now), now: now)
        let before = task
        task.state = .failed
        task.result = "[" + String(repeating: "1,", count: StateChange.payloadCap) + "1]"
        task.lastError = String(repeating: "é", count: StateChange.payloadCap + 10)
        var encoder = ChangeLogCoding.Encoder()
        encoder.append(task, replacing: before)
        let decoded = try #require(ChangeLogCoding.decode(encoder.bytes()))
        let outcome = try #require(decoded.first?.outcome)
        #expect(outcome.truncated)
        #expect(outcome.result == nil)
        #expect(outcome.error?.unicodeScalars.count == StateChange.payloadCap)
        #expect(encoder.bytes().count < StateChange.payloadCap * 2 + 100)
        // A completed task's result that fits is kept whole.
        let fits = StateChange.Outcome.capped(result: "[1]", message: nil, error: nil)
        #expect(fits == StateChange.Outcome(result: "[1]", message: nil, error: nil, truncated: false))
    }

    /// Rows written before changes carried the task (format 1) still read, with none of the new fields.
    @Test func formatOneRowsStillRead() throws {
        var row: [UInt8] = [1, 3]
        for name in ["default", "h", "pending"] {
            row.append(UInt8(name.utf8.count))
            row += Array(name.utf8)
        }
        row += [1, 2] + Array("t1".utf8) + [0, 1, 0, 2, 0]
        let changes = try #require(ChangeLogCoding.decode(Data(row)))
        #expect(changes == [LoggedChange(taskID: "t1", queue: "default", handler: "h", from: nil, to: "pending", attempt: 0)])
    }

    @Test func bytesThisCodingDidNotWriteReadAsNothing() {
        var encoder = ChangeLogCoding.Encoder()
        let now = Date()
        encoder.append(TaskTransition.enqueue(NewTask(handler: "h"), id: TaskIDGenerator.shared.next(now: now), now: now), replacing: nil)
        let good = [UInt8](encoder.bytes())
        #expect(ChangeLogCoding.decode(Data(good)) != nil)
        for bad in [[], [3] + good.dropFirst(), Array(good.dropLast()), good + [0], [2, 200, 200, 200], Array(good.dropLast()) + [64]] as [[UInt8]] {
            #expect(ChangeLogCoding.decode(Data(bad)) == nil, "\(bad.prefix(8))")
        }
    }
}
