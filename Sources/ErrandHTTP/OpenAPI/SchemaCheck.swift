import ErrandCore
import Foundation

/// Checks a JSON value against a schema of the API document: the part of JSON Schema the document uses.
///
/// Supported keywords: `$ref` (to `#/components/schemas/…`), `type` (a name or a list of names), `properties`,
/// `required`, `additionalProperties` (`false` or a schema), `items`, `enum`, `const`, `anyOf`, `minimum`,
/// `maximum`, `exclusiveMinimum`, `minLength`, `maxLength`, `minItems`, `maxItems`, `pattern`, and the formats `uuid`
/// and `date-time` (``checked``); a document using any other keyword does not load (``unsupportedKeyword(in:)``).
/// A schema without `type` accepts any value. Requests are checked before any handler sees them, so the document is the contract for what the
/// API accepts as well as for what it answers (tests check answers the same way).
struct SchemaCheck: Sendable {
    /// The document's `components.schemas`.
    let schemas: [String: JSONValue]

    /// The first way `value` breaks `schema`, as a message naming where (`at`, e.g. `body.retry.delay`); `nil` when
    /// it conforms.
    func problem(_ value: JSONValue, _ schema: JSONValue, at path: String) -> String? {
        guard case .object(var rules) = schema else { return nil }
        if case .string(let reference)? = rules["$ref"] {
            guard let resolved = resolve(reference) else { return "\(path): the document has no schema \(reference)" }
            rules = resolved
        }
        if let problem = typeProblem(value, rules, at: path) { return problem }
        if let constant = rules["const"], value != constant {
            return "\(path): must be \(constant.jsonText), got \(value.jsonText.prefix(80))"
        }
        if case .array(let branches)? = rules["anyOf"] {
            let problems = branches.map { problem(value, $0, at: path) }
            if !problems.contains(where: { $0 == nil }), let first = problems.compactMap({ $0 }).first {
                return problems.count == 1 ? first : "\(path): matches none of \(problems.count) allowed forms (\(first))"
            }
        }
        if case .array(let allowed)? = rules["enum"], !allowed.contains(value) {
            return "\(path): must be one of \(allowed.map(\.jsonText).joined(separator: ", ")), got \(value.jsonText.prefix(80))"
        }
        switch value {
        case .number(let number): return numberProblem(number, rules, at: path)
        case .string(let text): return stringProblem(text, rules, at: path)
        case .array(let items): return arrayProblem(items, rules, at: path)
        case .object(let members): return objectProblem(members, rules, at: path)
        case .null, .bool: return nil
        }
    }

    private func resolve(_ reference: String) -> [String: JSONValue]? {
        let prefix = "#/components/schemas/"
        guard reference.hasPrefix(prefix), case .object(let rules)? = schemas[String(reference.dropFirst(prefix.count))] else { return nil }
        return rules
    }

    private func typeProblem(_ value: JSONValue, _ rules: [String: JSONValue], at path: String) -> String? {
        let types: [String]
        switch rules["type"] {
        case .string(let name)?: types = [name]
        case .array(let names)?: types = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
        default: return nil
        }
        if types.contains(where: { Self.value(value, is: $0) }) { return nil }
        let wanted = types.map { $0 == "integer" || $0 == "object" || $0 == "array" ? "an \($0)" : "a \($0)" }
        return "\(path): must be \(wanted.joined(separator: " or ")), got \(Self.describe(value))"
    }

    private static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number):
            true
        case ("integer", .number(let number)): number.rounded() == number && abs(number) < 9.0e15
        default: false
        }
    }

    /// What kind of value this is, for messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let number): "the number \(JSONValue.number(number).jsonText)"
        case .string(let text): "the string \(JSONValue.string(String(text.prefix(60))).jsonText)"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private func numberProblem(_ number: Double, _ rules: [String: JSONValue], at path: String) -> String? {
        if case .number(let minimum)? = rules["minimum"], number < minimum {
            return "\(path): must be at least \(JSONValue.number(minimum).jsonText), got \(JSONValue.number(number).jsonText)"
        }
        if case .number(let maximum)? = rules["maximum"], number > maximum {
            return "\(path): must be at most \(JSONValue.number(maximum).jsonText), got \(JSONValue.number(number).jsonText)"
        }
        if case .number(let minimum)? = rules["exclusiveMinimum"], number <= minimum {
            return "\(path): must be more than \(JSONValue.number(minimum).jsonText), got \(JSONValue.number(number).jsonText)"
        }
        return nil
    }

    private func stringProblem(_ text: String, _ rules: [String: JSONValue], at path: String) -> String? {
        // JSON Schema counts characters as Unicode code points, not grapheme clusters (a letter with combining
        // marks is several).
        let length = text.unicodeScalars.count
        if case .number(let minimum)? = rules["minLength"], Double(length) < minimum {
            return "\(path): must be at least \(Int(minimum)) characters, got \(length)"
        }
        if case .number(let maximum)? = rules["maxLength"], Double(length) > maximum {
            return "\(path): must be at most \(Int(maximum)) characters, got \(length)"
        }
        if case .string(let pattern)? = rules["pattern"], !Patterns.shared.matches(text, pattern) {
            return "\(path): \(JSONValue.string(String(text.prefix(60))).jsonText) does not match \(pattern)"
        }
        switch rules["format"] {
        case .string("uuid")?:
            if TaskID(text) == nil { return "\(path): must be a UUID, got \(JSONValue.string(String(text.prefix(60))).jsonText)" }
        case .string("date-time")?:
            if RFC3339.date(text) == nil {
                return
                    "\(path): must be an RFC 3339 date-time such as 2026-11-25T10:00:00Z, got \(JSONValue.string(String(text.prefix(60))).jsonText)"
            }
        default: break
        }
        return nil
    }

    private func arrayProblem(_ items: [JSONValue], _ rules: [String: JSONValue], at path: String) -> String? {
        if case .number(let minimum)? = rules["minItems"], Double(items.count) < minimum {
            return "\(path): must have at least \(Int(minimum)) items, got \(items.count)"
        }
        if case .number(let maximum)? = rules["maxItems"], Double(items.count) > maximum {
            return "\(path): must have at most \(Int(maximum)) items, got \(items.count)"
        }
        guard let itemSchema = rules["items"] else { return nil }
        for (index, item) in items.enumerated() {
            if let problem = problem(item, itemSchema, at: "\(path)[\(index)]") { return problem }
        }
        return nil
    }

    private func objectProblem(_ members: [String: JSONValue], _ rules: [String: JSONValue], at path: String) -> String? {
        var properties: [String: JSONValue] = [:]
        if case .object(let declared)? = rules["properties"] { properties = declared }
        if case .number(let minimum)? = rules["minProperties"], Double(members.count) < minimum {
            let known = properties.keys.sorted().joined(separator: ", ")
            return "\(path): must have at least \(Int(minimum)) member\(minimum == 1 ? "" : "s")\(known.isEmpty ? "" : " of \(known)")"
        }
        if case .array(let required)? = rules["required"] {
            for case .string(let name) in required where members[name] == nil {
                return "\(path): \(name) is required"
            }
        }
        for name in members.keys.sorted() {
            let member = members[name] ?? .null
            if let schema = properties[name] {
                if let problem = problem(member, schema, at: "\(path).\(name)") { return problem }
                continue
            }
            switch rules["additionalProperties"] {
            case .bool(false)?:
                let known = properties.keys.sorted().joined(separator: ", ")
                return "\(path): unknown field \(JSONValue.string(name).jsonText)\(known.isEmpty ? "" : "; known fields: \(known)")"
            case .object(let schema)?:
                if let problem = problem(member, .object(schema), at: "\(path).\(name)") { return problem }
            default: continue
            }
        }
        return nil
    }
}

/// Compiled `pattern`s, shared: the document has a handful.
final class Patterns: @unchecked Sendable {
    static let shared = Patterns()
    private let lock = NSLock()
    private var compiled: [String: NSRegularExpression] = [:]

    func matches(_ text: String, _ pattern: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if compiled[pattern] == nil { compiled[pattern] = try? NSRegularExpression(pattern: pattern) }
        guard let expression = compiled[pattern] else { return false }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return expression.firstMatch(in: text, range: range) != nil
    }
}
