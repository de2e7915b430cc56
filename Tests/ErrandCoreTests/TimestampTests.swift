import ErrandCore
import Foundation
import Testing

@Suite struct TimestampTests {
    /// Every millisecond prints as itself and reads back as itself; binary fractions such as 818057775.306 (a
    /// reference-date interval just under .306) once printed as the millisecond before.
    @Test(arguments: [Int64(1_796_364_975_306), 0, 999, 1000, -1, -86_400_500, 4_102_444_800_250, 1_764_000_000_001])
    func aMillisecondPrintsAndReadsAsItself(_ milliseconds: Int64) throws {
        for offset in Int64(0)..<200 {
            let time = Date(millisecondsSince1970: milliseconds + offset)
            let text = time.iso8601
            let expected = (milliseconds + offset) % 1000
            let fraction = Int64(text.dropLast().suffix(3)) ?? -1
            #expect(fraction == (expected + 1000) % 1000, "\(milliseconds + offset) ms printed as \(text)")
            #expect(RFC3339.date(text)?.millisecondsSince1970 == milliseconds + offset, "\(text) read back differently")
        }
    }

    @Test func theTextIsUTCWithThreeDigits() {
        #expect(Date(millisecondsSince1970: 1_764_000_000_001).iso8601 == "2025-11-24T16:00:00.001Z")
        #expect(Date(millisecondsSince1970: -500).iso8601 == "1969-12-31T23:59:59.500Z")
    }
}
