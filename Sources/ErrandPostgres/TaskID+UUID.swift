import ErrandCore
import Foundation

/// Task ids travel to PostgreSQL as `uuid`. Foundation's conversions go through `sscanf` and `printf` on Linux, which
/// cost more per id than inserting its row; these work on the bytes.
extension TaskID {
    /// The id as a `UUID`, or `nil` when it is not a UUID's text.
    var uuid: UUID? {
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { output -> Bool in
            var text = rawValue
            return text.withUTF8 { utf8 in
                guard utf8.count == 36 else { return false }
                var index = 0
                for position in 0..<16 {
                    if index == 8 || index == 13 || index == 18 || index == 23 {
                        guard utf8[index] == UInt8(ascii: "-") else { return false }
                        index += 1
                    }
                    guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return false }
                    output[position] = high << 4 | low
                    index += 2
                }
                return true
            }
        }
        return parsed ? UUID(uuid: bytes) : nil
    }

    /// The id of a stored `uuid`, in the canonical lowercase text.
    init(_ uuid: UUID) {
        self.init(trusted: withUnsafeBytes(of: uuid.uuid) { TaskIDGenerator.text(ofUUIDBytes: $0) })
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
