import Foundation

/// Any JSON value, for showing a task's arguments and result as structure rather than as text.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text; `nil` when it is not valid JSON.
    public init?(parsing text: String) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        self = value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers print without a fraction, as users wrote them.
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON text with sorted keys.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

extension JSONText {
    /// A list of strings as the JSON array a store keeps in one column (a task's tags, a worker's queues).
    public static func array(_ strings: [String]) -> String {
        guard !strings.isEmpty else { return "[]" }
        var json = Builder()
        json.strings(strings)
        return json.text
    }

    /// The list of strings such a column holds; `nil` when it holds anything else.
    public static func strings(_ text: String) -> [String]? {
        if text == "[]" { return [] }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String]
    }

    /// Writes JSON text by hand: arrays of flat objects with string, integer or null fields.
    ///
    /// For stores that pass a batch of rows as one JSON parameter; much cheaper than `JSONEncoder` per row.
    public struct Builder: Sendable {
        private var bytes: [UInt8] = []
        private var firstField = true

        public init() {}

        /// The JSON written so far.
        public var text: String { String(decoding: bytes, as: UTF8.self) }

        /// Writes `[ {…}, {…} ]`, one object per element, its fields written by `fields`.
        public mutating func array<Element>(_ elements: [Element], _ fields: (inout Builder, Element) -> Void) {
            bytes.reserveCapacity(bytes.count + elements.count * 256)
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(UInt8(ascii: "{"))
                firstField = true
                fields(&self, element)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(UInt8(ascii: "]"))
        }

        /// Writes `["…", "…"]`.
        public mutating func strings(_ values: [String]) {
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(value)
            }
            bytes.append(UInt8(ascii: "]"))
        }

        public mutating func field(_ name: String, _ value: String?) {
            key(name)
            if let value { appendString(value) } else { bytes.append(contentsOf: "null".utf8) }
        }

        public mutating func field(_ name: String, _ value: Int64?) {
            key(name)
            guard let value else {
                bytes.append(contentsOf: "null".utf8)
                return
            }
            bytes.append(contentsOf: String(value).utf8)
        }

        public mutating func field(_ name: String, _ value: Int) { field(name, Int64(value)) }

        private mutating func key(_ name: String) {
            if !firstField { bytes.append(UInt8(ascii: ",")) }
            firstField = false
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: "\":".utf8)
        }

        private mutating func appendString(_ value: String) {
            bytes.append(UInt8(ascii: "\""))
            let utf8 = value.utf8
            // Most values need no escaping: copy them whole.
            if !utf8.contains(where: Self.needsEscape) {
                bytes.append(contentsOf: utf8)
            } else {
                for byte in utf8 {
                    switch byte {
                    case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
                    case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
                    case UInt8(ascii: "\r"): bytes.append(contentsOf: "\\r".utf8)
                    case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
                    case ..<0x20: bytes.append(contentsOf: String(format: "\\u%04x", byte).utf8)
                    default: bytes.append(byte)
                    }
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }

        private static func needsEscape(_ byte: UInt8) -> Bool {
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
        }
    }
}
