/// Checks that text is one JSON value (RFC 8259), without building it.
///
/// Stores run it on every task row a claim or a listing reads (`arguments`, `result`), so a row whose JSON was damaged
/// outside Errand becomes a dead letter instead of reaching a handler: it allocates nothing and reads each byte once.
public enum JSONSyntax {
    /// Deepest nesting accepted, as the HTTP API's parser allows.
    public static let maxDepth = 512

    /// Whether `text` holds exactly one JSON value, surrounded by nothing but whitespace.
    /// - Parameter trailingCommas: also accept a comma before `]` or `}`, as Foundation's `JSONSerialization` does on
    ///   Linux: Errand up to 2026-12 checked arguments with it, so rows it stored may hold them, and a store reading
    ///   them back must not call them corrupt.
    public static func isValid(_ text: String, allowingTrailingCommas trailingCommas: Bool = false) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes, trailingCommas: trailingCommas)
            scanner.skipSpace()
            guard scanner.value(depth: 0) else { return false }
            scanner.skipSpace()
            return scanner.position == bytes.count
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        let trailingCommas: Bool
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>, trailingCommas: Bool) {
            self.bytes = bytes
            self.trailingCommas = trailingCommas
        }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            for index in 0..<count where bytes[position + index] != word.utf8Start[index] { return false }
            position += count
            return true
        }

        mutating func value(depth: Int) -> Bool {
            guard depth < JSONSyntax.maxDepth, let byte = current else { return false }
            switch byte {
            case UInt8(ascii: "{"):
                position += 1
                skipSpace()
                if current == UInt8(ascii: "}") {
                    position += 1
                    return true
                }
                while true {
                    skipSpace()
                    if trailingCommas, current == UInt8(ascii: "}") {
                        position += 1
                        return true
                    }
                    guard current == UInt8(ascii: "\""), string() else { return false }
                    skipSpace()
                    guard current == UInt8(ascii: ":") else { return false }
                    position += 1
                    skipSpace()
                    guard value(depth: depth + 1) else { return false }
                    skipSpace()
                    guard let next = current else { return false }
                    position += 1
                    if next == UInt8(ascii: "}") { return true }
                    guard next == UInt8(ascii: ",") else { return false }
                }
            case UInt8(ascii: "["):
                position += 1
                skipSpace()
                if current == UInt8(ascii: "]") {
                    position += 1
                    return true
                }
                while true {
                    skipSpace()
                    if trailingCommas, current == UInt8(ascii: "]") {
                        position += 1
                        return true
                    }
                    guard value(depth: depth + 1) else { return false }
                    skipSpace()
                    guard let next = current else { return false }
                    position += 1
                    if next == UInt8(ascii: "]") { return true }
                    guard next == UInt8(ascii: ",") else { return false }
                }
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        /// A string starting at the opening quote. The text came from a Swift `String`, so it is valid UTF-8.
        mutating func string() -> Bool {
            position += 1
            while let byte = current {
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return true
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { return false }
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        for _ in 0..<4 {
                            guard let hex = current, isHex(hex) else { return false }
                            position += 1
                        }
                    default: return false
                    }
                case 0..<0x20: return false
                default: continue
                }
            }
            return false
        }

        func isHex(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }

        mutating func digits() -> Bool {
            let start = position
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position > start
        }

        mutating func number() -> Bool {
            if current == UInt8(ascii: "-") { position += 1 }
            if current == UInt8(ascii: "0") {
                position += 1
            } else if !digits() {
                return false
            }
            if current == UInt8(ascii: ".") {
                position += 1
                guard digits() else { return false }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard digits() else { return false }
            }
            return true
        }
    }
}
