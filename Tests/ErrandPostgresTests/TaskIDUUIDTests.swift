import ErrandCore
import Foundation
import Testing

@testable import ErrandPostgres

/// The byte-level id conversions must agree with Foundation's, both ways.
@Suite(.timeLimit(.minutes(5))) struct TaskIDUUIDTests {
    @Test func conversionsAgreeWithFoundation() throws {
        let generator = TaskIDGenerator()
        for _ in 0..<1000 {
            let id = generator.next(now: Date())
            let uuid = try #require(id.uuid)
            #expect(uuid == UUID(uuidString: id.rawValue))
            #expect(TaskID(uuid) == id)
            let random = UUID()
            #expect(TaskID(random).rawValue == random.uuidString.lowercased())
        }
        #expect(TaskID(trusted: "0190A0B0-C0D0-7E0F-8A0B-0C0D0E0F1A2B").uuid == UUID(uuidString: "0190A0B0-C0D0-7E0F-8A0B-0C0D0E0F1A2B"))
    }

    @Test(arguments: [
        "", "not-a-uuid", "0190a0b0c0d07e0f8a0b0c0d0e0f1a2b", "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f1a2g", "0190a0b0-c0d0-7e0f-8a0b_0c0d0e0f1a2b",
    ])
    func textThatIsNotAUUIDHasNone(_ text: String) {
        #expect(TaskID(trusted: text).uuid == nil)
    }
}
