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
    /// Writes JSON text by hand: arrays of flat objects with string, integer or null fields.
    ///
    /// For stores that pass a batch of rows as one JSON parameter; much cheaper than `JSONEncoder` per row.
    public struct Builder: Sendable {
        public private(set) var text = ""
        private var firstField = true

        public init() {}

        /// Writes `[ {…}, {…} ]`, one object per element, its fields written by `fields`.
        public mutating func array<Element>(_ elements: [Element], _ fields: (inout Builder, Element) -> Void) {
            text.reserveCapacity(elements.count * 256)
            text.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { text.append(",") }
                text.append("{")
                firstField = true
                fields(&self, element)
                text.append("}")
            }
            text.append("]")
        }

        public mutating func field(_ name: String, _ value: String?) {
            key(name)
            if let value { appendString(value) } else { text.append("null") }
        }

        public mutating func field(_ name: String, _ value: Int64?) {
            key(name)
            text.append(value.map(String.init) ?? "null")
        }

        public mutating func field(_ name: String, _ value: Int) { field(name, Int64(value)) }

        private mutating func key(_ name: String) {
            if !firstField { text.append(",") }
            firstField = false
            text.append("\"\(name)\":")
        }

        private mutating func appendString(_ value: String) {
            text.append("\"")
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": text.append("\\\"")
                case "\\": text.append("\\\\")
                case "\n": text.append("\\n")
                case "\r": text.append("\\r")
                case "\t": text.append("\\t")
                case _ where scalar.value < 0x20 || scalar.value == 0:
                    text.append(String(format: "\\u%04x", scalar.value))
                default: text.unicodeScalars.append(scalar)
                }
            }
            text.append("\"")
        }
    }
}
