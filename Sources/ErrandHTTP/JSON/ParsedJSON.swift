import ErrandCore

/// A JSON request body parsed strictly (RFC 8259), keeping where each value came from.
///
/// Values that Errand stores as text (a task's `arguments`, a finish's `result`) are taken from the body exactly as
/// written, so large integers and number formats survive; everything else is read through ``json``. Duplicate keys,
/// trailing garbage and nesting deeper than 64 levels are refused with the position of the problem.
struct ParsedJSON: Sendable {
    indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Node])
        case object([String: Node])
    }

    struct Node: Sendable {
        var kind: Kind
        /// Byte offsets of the value's text in the body.
        var range: Range<Int>
    }

    let bytes: [UInt8]
    let root: Node

    /// Parses `bytes`.
    /// - Throws: ``Problem`` 400 naming the line and column.
    init(_ bytes: [UInt8]) throws(Problem) {
        self.bytes = bytes
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Problem.badRequest("body is not valid UTF-8") }
        var parser = Parser(bytes: bytes)
        do {
            parser.skipSpace()
            let root = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.position == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
            self.root = root
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem.badRequest("body: \(error)")
        }
    }

    /// The exact text of a value.
    func text(of node: Node) -> String { String(decoding: bytes[node.range], as: UTF8.self) }

    /// A member of the root object, if the root is an object that has it.
    func member(_ name: String) -> Node? {
        if case .object(let members) = root.kind { return members[name] }
        return nil
    }

    /// The value as ``JSONValue``, for checks against the document.
    static func json(_ node: Node) -> JSONValue {
        switch node.kind {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): .number(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(json))
        case .object(let members): .object(members.mapValues(json))
        }
    }
}

private struct Parser {
    let bytes: [UInt8]
    var position = 0

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    func failure(_ reason: String) -> Problem {
        var line = 1
        var column = 1
        for byte in bytes[..<min(position, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return Problem.badRequest("body is not valid JSON: \(reason) at line \(line), column \(column)")
    }

    mutating func value(depth: Int) throws(Problem) -> ParsedJSON.Node {
        guard depth < 64 else { throw failure("nesting deeper than 64 levels") }
        guard position < bytes.count else { throw failure("unexpected end") }
        let start = position
        let kind: ParsedJSON.Kind
        switch bytes[position] {
        case UInt8(ascii: "{"): kind = try object(depth: depth)
        case UInt8(ascii: "["): kind = try array(depth: depth)
        case UInt8(ascii: "\""): kind = .string(try string())
        case UInt8(ascii: "t"): try literal("true"); kind = .bool(true)
        case UInt8(ascii: "f"): try literal("false"); kind = .bool(false)
        case UInt8(ascii: "n"): try literal("null"); kind = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): kind = .number(try number())
        default: throw failure("unexpected character")
        }
        return ParsedJSON.Node(kind: kind, range: start..<position)
    }

    private mutating func literal(_ word: String) throws(Problem) {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw failure("unexpected character")
        }
        position += expected.count
    }

    private mutating func object(depth: Int) throws(Problem) -> ParsedJSON.Kind {
        position += 1
        var members: [String: ParsedJSON.Node] = [:]
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
            let keyStart = position
            let key = try string()
            guard members[key] == nil else {
                position = keyStart
                throw failure("duplicate key \"\(key)\"")
            }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            skipSpace()
            members[key] = try value(depth: depth + 1)
            skipSpace()
            guard position < bytes.count else { throw failure("unexpected end") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            } else {
                throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(Problem) -> ParsedJSON.Kind {
        position += 1
        var items: [ParsedJSON.Node] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard position < bytes.count else { throw failure("unexpected end") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            } else {
                throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func number() throws(Problem) -> Double {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw failure("expected a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("expected a digit after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("expected a digit in the exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        guard let number = Double(String(decoding: bytes[start..<position], as: UTF8.self)), number.isFinite else {
            position = start
            throw failure("number out of range")
        }
        return number
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func string() throws(Problem) -> String {
        position += 1
        var runStart = position
        var text = ""
        while true {
            guard position < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                text += String(decoding: bytes[runStart..<position], as: UTF8.self)
                position += 1
                break
            }
            if byte < 0x20 { throw failure("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                text += String(decoding: bytes[runStart..<position], as: UTF8.self)
                position += 1
                text.unicodeScalars.append(try escape())
                runStart = position
                continue
            }
            position += 1
        }
        return text
    }

    private mutating func escape() throws(Problem) -> Unicode.Scalar {
        guard position < bytes.count else { throw failure("unterminated escape") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                    throw failure("unpaired surrogate")
                }
                position += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low), let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                    throw failure("unpaired surrogate")
                }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else { throw failure("unpaired surrogate") }
            return scalar
        default: throw failure("unknown escape")
        }
    }

    private mutating func hex4() throws(Problem) -> UInt32 {
        guard position + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            throw failure("expected 4 hex digits")
        }
        position += 4
        return value
    }
}
