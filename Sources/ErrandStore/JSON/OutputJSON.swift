package import ErrandCore
package import Foundation

/// A JSON answer being written: members keep their order, and stored JSON text (a task's arguments and result) is
/// written as it is stored, never re-encoded.
package enum OutputJSON: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// JSON text written verbatim; must be valid JSON.
    case raw(String)
    case array([OutputJSON])
    case object([(String, OutputJSON)])

    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .int(value) }
    package init(nilLiteral: ()) { self = .null }

    /// Stored JSON text as a value: verbatim when it is valid JSON, else as a string (a damaged row stays readable).
    package static func stored(_ text: String?) -> OutputJSON {
        guard let text else { return .null }
        return JSONText.problem(text) == nil ? .raw(text) : .string(text)
    }

    package static func date(_ date: Date?) -> OutputJSON { date.map { .string($0.iso8601) } ?? .null }
    package static func nullable(_ text: String?) -> OutputJSON { text.map { .string($0) } ?? .null }
    package static func number(_ value: Double?) -> OutputJSON {
        guard let value else { return .null }
        return value.rounded() == value && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
    }

    /// Compact JSON text.
    package var text: String {
        var out = ""
        out.reserveCapacity(1024)
        write(into: &out, indent: nil)
        return out
    }

    /// The same JSON text indented by two spaces a level, for people (stored JSON is written as stored).
    package var prettyText: String {
        var out = ""
        write(into: &out, indent: "")
        return out
    }

    /// Writes the value compactly, or, with `indent` (the current line's), one member or item a line.
    private func write(into out: inout String, indent: String?) {
        let inner = indent.map { $0 + "  " }
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? "\(number)" : "null"
        case .string(let text): Self.quote(text, into: &out)
        case .raw(let text): out += text
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                out += index > 0 ? "," : ""
                if let inner { out += "\n" + inner }
                item.write(into: &out, indent: inner)
            }
            if let indent, !items.isEmpty { out += "\n" + indent }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                out += index > 0 ? "," : ""
                if let inner { out += "\n" + inner }
                Self.quote(key, into: &out)
                out += inner == nil ? ":" : ": "
                value.write(into: &out, indent: inner)
            }
            if let indent, !members.isEmpty { out += "\n" + indent }
            out += "}"
        }
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        // Most keys and values need no escape: appended whole, not a scalar at a time (which, once `task.json` was
        // written with it, cost the child-process benchmark 9 % of its rate).
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension OutputJSON {
    /// A `JSONValue` (the problem bodies, the document) as output.
    package init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let number): self = .number(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(OutputJSON.init))
        case .object(let members): self = .object(members.keys.sorted().map { ($0, OutputJSON(members[$0] ?? .null)) })
        }
    }
}
