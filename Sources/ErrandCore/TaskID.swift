public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    public import Darwin
#endif

/// A task's identifier: a UUIDv7 whose leading 48 bits are the creation time in milliseconds.
///
/// The canonical lowercase text form sorts in creation order, so stores can use it as a keyset cursor and as the
/// last tie-breaker of the claim order. Ids minted by one ``TaskIDGenerator`` are strictly increasing.
public struct TaskID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The canonical text form, e.g. `01937f3c-9a2b-7c3d-8e4f-5a6b7c8d9e0f`.
    public let rawValue: String

    /// Wraps a text form that is already known to be valid (a store's own column).
    public init(trusted rawValue: String) { self.rawValue = rawValue }

    /// Parses a UUID text form, accepting either case; returns `nil` when the text is not a UUID.
    public init?(_ text: String) {
        // Checked byte by byte: stores parse an id for every row they read.
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var hasUppercase = false
        for (index, byte) in utf8.enumerated() {
            switch index {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return nil }
            default:
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): break
                case UInt8(ascii: "A")...UInt8(ascii: "F"): hasUppercase = true
                default: return nil
                }
            }
        }
        self.rawValue = hasUppercase ? text.lowercased() : text
    }

    public var description: String { rawValue }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Mints UUIDv7 task ids that increase strictly, even for many ids in one millisecond.
///
/// Follows RFC 9562 §6.2 method 1: the 12 `rand_a` bits are a counter seeded randomly each new millisecond.
/// The caller passes the time, so the generator never reads a clock. Safe to share between tasks.
public final class TaskIDGenerator: Sendable {
    /// The generator every store in this process shares, so ids stay increasing across stores.
    public static let shared = TaskIDGenerator()

    private struct State {
        var millisecond: UInt64 = 0
        var counter: UInt16 = 0
        /// Random words fetched in bulk: `UInt64.random` makes one system call per id, which costs more than the rest.
        var random: [UInt64] = []

        mutating func nextRandom() -> UInt64 {
            if random.isEmpty {
                // arc4random_buf: the C library's CSPRNG (glibc 2.36+, Darwin), one system call per refill.
                random = [UInt64](repeating: 0, count: 256)
                random.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            }
            return random.removeLast()
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Returns a new id for a task created at `now`.
    public func next(now: Date) -> TaskID {
        let wall = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let (ms, counter, random) = state.withLock { state -> (UInt64, UInt16, UInt64) in
            if wall > state.millisecond {
                state.millisecond = wall
                state.counter = UInt16.random(in: 0..<0x400)
            } else if state.counter < 0xFFF {
                state.counter += 1
            } else {
                // Counter exhausted within one millisecond: borrow the next millisecond to stay monotonic.
                state.millisecond += 1
                state.counter = 0
            }
            return (state.millisecond, state.counter, state.nextRandom())
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - index))) }
        bytes[6] = 0x70 | UInt8(counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        var bits = random
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: bits & 0x3F)
        bits >>= 6
        for index in 9..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: bits)
            bits >>= 8
        }
        return TaskID(trusted: Self.canonicalText(bytes))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The canonical text of 16 UUID bytes, lowercase.
    public static func text(ofUUIDBytes bytes: some Collection<UInt8>) -> String { canonicalText(Array(bytes)) }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase.
    private static func canonicalText(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                buffer[position] = hexDigits[Int(byte >> 4)]
                buffer[position + 1] = hexDigits[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }
}
