import Foundation

/// Reads typed values out of a parsed YAML or JSON document (`String`, `Int`, `Double`, `Bool`, `Date`, `NSNull`,
/// `[Any]`, `[String: Any]`), naming the path of anything wrong (`tasks.my_reload.pause_sec: must be a number, got
/// "soon"`).
public enum ConfigTree {
    /// `parent.key`, or `key` at the top.
    public static func path(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }

    public static func string(_ value: Any, _ field: String) throws(InvalidField) -> String {
        if let text = value as? String { return text }
        throw InvalidField(field: field, reason: "must be a string, got \(describe(value))")
    }

    /// An integer, and at least `minimum` when one is given.
    public static func integer(_ value: Any, _ field: String, atLeast minimum: Int? = nil) throws(InvalidField) -> Int {
        guard let number = value as? Int else { throw InvalidField(field: field, reason: "must be an integer, got \(describe(value))") }
        if let minimum, number < minimum { throw InvalidField(field: field, reason: "must be at least \(minimum), got \(number)") }
        return number
    }

    public static func number(_ value: Any, _ field: String) throws(InvalidField) -> Double {
        if let number = value as? Int { return Double(number) }
        if let number = value as? Double { return number }
        throw InvalidField(field: field, reason: "must be a number, got \(describe(value))")
    }

    public static func bool(_ value: Any, _ field: String) throws(InvalidField) -> Bool {
        if let flag = value as? Bool { return flag }
        throw InvalidField(field: field, reason: "must be true or false, got \(describe(value))")
    }

    /// A mapping whose keys are all in `known` (else the first unknown key is named, with the known ones).
    public static func mapping(_ value: Any, _ field: String, known: Set<String>, what: String) throws(InvalidField) -> [String: Any] {
        guard let mapping = value as? [String: Any] else {
            throw InvalidField(field: field.isEmpty ? "config" : field, reason: "must be a mapping, got \(describe(value))")
        }
        if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
            throw InvalidField(field: path(field, unknown), reason: "is not \(what); known: \(known.sorted().joined(separator: ", "))")
        }
        return mapping
    }

    /// The value as compact JSON text with sorted keys (times as ISO 8601 text).
    public static func jsonText(_ value: Any, _ field: String) throws(InvalidField) -> String {
        let plain = try jsonCompatible(value, field)
        guard let data = try? JSONSerialization.data(withJSONObject: plain, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else {
            throw InvalidField(field: field, reason: "cannot be written as JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func jsonCompatible(_ value: Any, _ field: String) throws(InvalidField) -> Any {
        switch value {
        case let date as Date:
            return date.iso8601
        case let list as [Any]:
            var result: [Any] = []
            for (index, item) in list.enumerated() { result.append(try jsonCompatible(item, "\(field)[\(index)]")) }
            return result
        case let mapping as [String: Any]:
            var result: [String: Any] = [:]
            for (key, item) in mapping { result[key] = try jsonCompatible(item, path(field, key)) }
            return result
        case is String, is Int, is Double, is Bool, is NSNull: return value
        case let data as Data: return data.base64EncodedString()
        default: throw InvalidField(field: field, reason: "holds a value JSON cannot express: \(describe(value))")
        }
    }

    /// A short description of a value for messages.
    public static func describe(_ value: Any) -> String {
        switch value {
        case let text as String: "\"\(text.prefix(60))\""
        case is [Any]: "a list"
        case is [String: Any]: "a mapping"
        case is NSNull: "null"
        default: "\(value)"
        }
    }
}
