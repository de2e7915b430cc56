import ErrandCore
import Foundation
import Testing

@testable import ErrandSQLite

/// The binary form of the SQLite change log: what is written reads back exactly, and anything else reads as nothing.
@Suite(.timeLimit(.minutes(5))) struct ChangeLogCodingTests {
    @Test func changesReadBackExactlyWithSharedNamesAndAnyId() throws {
        let now = Date()
        var first = TaskTransition.enqueue(
            NewTask(handler: "send \"quoted\" ✉️", queue: "billing"),
            id: TaskIDGenerator.shared.next(now: now),
            now: now
        )
        var encoder = ChangeLogCoding.Encoder()
        encoder.append(first, from: nil)
        first.state = .running
        first.attempt = 300  // two varint bytes
        encoder.append(first, from: .pending)
        var odd = first
        odd.id = TaskID(trusted: "not-a-uuid")
        encoder.append(odd, from: .pending)
        let changes = try #require(ChangeLogCoding.decode(encoder.bytes()))
        #expect(encoder.count == 3)
        #expect(
            changes == [
                LoggedChange(taskID: first.id.rawValue, queue: "billing", handler: "send \"quoted\" ✉️", from: nil, to: "pending", attempt: 0),
                LoggedChange(taskID: first.id.rawValue, queue: "billing", handler: "send \"quoted\" ✉️", from: "pending", to: "running", attempt: 300),
                LoggedChange(taskID: "not-a-uuid", queue: "billing", handler: "send \"quoted\" ✉️", from: "pending", to: "running", attempt: 300),
            ]
        )
        // Names are stored once per row: three changes of one task cost little more than one.
        #expect(encoder.bytes().count < 120, "\(encoder.bytes().count) bytes")
    }

    @Test func bytesThisCodingDidNotWriteReadAsNothing() {
        var encoder = ChangeLogCoding.Encoder()
        let now = Date()
        encoder.append(TaskTransition.enqueue(NewTask(handler: "h"), id: TaskIDGenerator.shared.next(now: now), now: now), from: nil)
        let good = [UInt8](encoder.bytes())
        #expect(ChangeLogCoding.decode(Data(good)) != nil)
        for bad in [[], [2] + good.dropFirst(), Array(good.dropLast()), good + [0], [1, 200, 200, 200]] as [[UInt8]] {
            #expect(ChangeLogCoding.decode(Data(bad)) == nil, "\(bad.prefix(8))")
        }
    }
}
