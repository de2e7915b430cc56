import ErrandCore

extension SchemaCheck {
    /// The validation keywords ``problem(_:_:at:)`` enforces.
    static let checked: Set<String> = [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
        "minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "minItems", "maxItems", "minProperties", "pattern",
        "format",
    ]
    /// Keywords that only describe (JSON Schema's annotations), and OpenAPI's `x-` extensions.
    static let annotations: Set<String> = [
        "title", "description", "default", "example", "examples", "deprecated", "readOnly", "writeOnly", "contentMediaType",
        "contentSchema",
    ]
    /// The formats the checker understands.
    static let formats: Set<String> = ["uuid", "date-time"]

    /// The first schema keyword or format in `document` that the checker does not implement, as a message naming
    /// where it is; `nil` when every schema uses only what ``checked`` lists.
    static func unsupportedKeyword(in document: JSONValue) -> String? {
        guard case .object(let root) = document else { return nil }
        var found: String?
        func visitSchema(_ node: JSONValue, at path: String) {
            guard found == nil, case .object(let rules) = node else { return }
            for key in rules.keys.sorted() where !checked.contains(key) && !annotations.contains(key) && !key.hasPrefix("x-") {
                found = "\(path) uses the schema keyword \(key), which the request checker does not implement"
                return
            }
            if case .string(let format)? = rules["format"], !formats.contains(format) {
                found = "\(path) uses the format \(format), which the request checker does not implement"
                return
            }
            if case .object(let properties)? = rules["properties"] {
                for name in properties.keys.sorted() { visitSchema(properties[name] ?? .null, at: "\(path).properties.\(name)") }
            }
            for key in ["items", "additionalProperties", "contentSchema"] { visitSchema(rules[key] ?? .null, at: "\(path).\(key)") }
            if case .array(let branches)? = rules["anyOf"] {
                for (index, branch) in branches.enumerated() { visitSchema(branch, at: "\(path).anyOf[\(index)]") }
            }
        }
        /// Finds every `schema` member outside `components.schemas` (parameters and media types).
        func visitDocument(_ node: JSONValue, at path: String) {
            switch node {
            case .object(let members):
                for key in members.keys.sorted() {
                    if key == "schema" {
                        visitSchema(members[key] ?? .null, at: "\(path).schema")
                    } else {
                        visitDocument(members[key] ?? .null, at: "\(path).\(key)")
                    }
                }
            case .array(let items):
                for (index, item) in items.enumerated() { visitDocument(item, at: "\(path)[\(index)]") }
            default: break
            }
        }
        for key in root.keys.sorted() where key != "components" { visitDocument(root[key] ?? .null, at: key) }
        if case .object(let components)? = root["components"] {
            for key in components.keys.sorted() where key != "schemas" { visitDocument(components[key] ?? .null, at: "components.\(key)") }
            if case .object(let schemas)? = components["schemas"] {
                for name in schemas.keys.sorted() { visitSchema(schemas[name] ?? .null, at: "components.schemas.\(name)") }
            }
        }
        return found
    }
}
