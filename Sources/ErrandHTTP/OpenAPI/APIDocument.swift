public import ErrandCore
import Foundation
import Yams

/// The OpenAPI 3.1 document of the HTTP API: the contract the server routes, authorises and checks requests by.
///
/// The document is `Sources/ErrandHTTP/openapi.yaml`, embedded in the binary at build time (SwiftPM's
/// `embedInCode`, so one executable carries it without a resource bundle). The server registers exactly the
/// operations the document lists (a handler per `operationId`; start-up fails when one is missing or extra), takes
/// each operation's role from its `x-errand-role`, and checks every parameter and request body against the
/// document's schemas before a handler runs. A schema keyword the checker does not implement fails loading, so the
/// document cannot promise a rule the server does not enforce. Served as JSON at `/openapi.json`.
public struct APIDocument: Sendable {
    /// The document.
    public let json: JSONValue
    /// The document as JSON text, as served.
    public let text: String
    /// Every operation, in path order.
    let operations: [APIOperation]
    let schemaCheck: SchemaCheck

    /// The document of this build.
    public static let current: APIDocument = {
        do {
            return try APIDocument(yaml: String(decoding: PackageResources.openapi_yaml, as: UTF8.self))
        } catch {
            preconditionFailure("the built-in OpenAPI document is invalid: \(error)")
        }
    }()

    /// Reads a document from its YAML (or JSON) text.
    init(yaml: String) throws {
        guard case .object(let document) = try Self.json(fromYAML: yaml) else { throw DocumentError("the document is not a mapping") }
        json = .object(document)
        text = json.jsonText
        guard case .object(let components)? = document["components"], case .object(let schemas)? = components["schemas"],
            case .object(let paths)? = document["paths"]
        else { throw DocumentError("the document needs components.schemas and paths") }
        if let unsupported = SchemaCheck.unsupportedKeyword(in: json) { throw DocumentError(unsupported) }
        schemaCheck = SchemaCheck(schemas: schemas)
        var parameters: [String: JSONValue] = [:]
        if case .object(let declared)? = components["parameters"] { parameters = declared }
        operations = try paths.keys.sorted().flatMap { path -> [APIOperation] in
            guard case .object(let methods)? = paths[path] else { throw DocumentError("\(path) is not a mapping") }
            return try methods.keys.sorted().map { method in
                try APIOperation(path: path, method: method, spec: methods[method] ?? .null, sharedParameters: parameters)
            }
        }
    }

    /// The operations' `(method, path)` pairs, e.g. `("POST", "/v1/claims")`.
    public var routes: [(method: String, path: String, operationID: String, role: String)] {
        operations.map { ($0.method, $0.pathTemplate, $0.id, $0.role.rawValue) }
    }

    private static func json(fromYAML text: String) throws -> JSONValue {
        guard let loaded = try Yams.load(yaml: text) else { throw DocumentError("the document is empty") }
        return try value(loaded)
    }

    private static func value(_ any: Any) throws -> JSONValue {
        switch any {
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(Double(number))
        case let number as Double: return .number(number)
        case let list as [Any]: return .array(try list.map(value))
        case let map as [String: Any]: return .object(try map.mapValues(value))
        case let map as [AnyHashable: Any]:
            return .object(
                try Dictionary(uniqueKeysWithValues: map.map { key, member in (String(describing: key.base), try value(member)) })
            )
        case is NSNull: return .null
        default: throw DocumentError("unsupported YAML value \(any)")
        }
    }
}

struct DocumentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Who may call an operation: everyone, `read` and `admin` tokens, or `admin` tokens only.
public enum APIRole: String, Sendable, Comparable {
    case `public`
    case read
    case admin

    public static func < (left: APIRole, right: APIRole) -> Bool {
        let order: [APIRole] = [.public, .read, .admin]
        return (order.firstIndex(of: left) ?? 0) < (order.firstIndex(of: right) ?? 0)
    }
}

/// How an operation's errors are written.
enum ErrorStyle: String, Sendable {
    /// RFC 9457 problem details (`application/problem+json`): Errand's own operations.
    case problem
    /// `{"message": "…"}` as `application/json`: tasques' operations, as its clients read errors.
    case message
    /// `{"message": "…", "code": N}` as `application/json`: ScyllaDB's task manager paths (seastar's
    /// `json_exception`), as `nodetool tasks` reads errors.
    case seastar
}

/// One operation of the document, with what the server needs to check a request for it.
struct APIOperation: Sendable {
    struct Parameter: Sendable {
        var name: String
        var location: String
        var required: Bool
        var schema: JSONValue
        /// What a request without this required parameter is told (`x-errand-missing`); `nil` for "NAME is required".
        var missing: String?
    }

    var id: String
    var method: String
    var pathTemplate: String
    /// The template split at `/`; `{name}` segments are parameters.
    var segments: [String]
    var role: APIRole
    var parameters: [Parameter]
    /// The JSON schema of the body, if the operation takes one.
    var bodySchema: JSONValue?
    var bodyRequired: Bool
    /// How its errors are written, from its `x-errand-errors` (default `problem`): every error answered once the
    /// request matched it, the token's included.
    var errorStyle: ErrorStyle

    init(path: String, method: String, spec: JSONValue, sharedParameters: [String: JSONValue]) throws {
        guard case .object(let operation) = spec, case .string(let id)? = operation["operationId"] else {
            throw DocumentError("\(method.uppercased()) \(path) has no operationId")
        }
        guard case .string(let roleName)? = operation["x-errand-role"], let role = APIRole(rawValue: roleName) else {
            throw DocumentError("\(id) has no x-errand-role (public, read or admin)")
        }
        self.id = id
        self.method = method.uppercased()
        self.pathTemplate = path
        self.segments = path.split(separator: "/").map(String.init)
        self.role = role
        if case .string(let style)? = operation["x-errand-errors"] {
            guard let known = ErrorStyle(rawValue: style) else {
                throw DocumentError("\(id) has x-errand-errors \(style); use problem, message or seastar")
            }
            errorStyle = known
        } else {
            errorStyle = .problem
        }
        var parameters: [Parameter] = []
        if case .array(let declared)? = operation["parameters"] {
            for item in declared {
                var resolved = item
                if case .object(let reference) = item, case .string(let target)? = reference["$ref"] {
                    resolved = sharedParameters[String(target.split(separator: "/").last ?? "")] ?? .null
                }
                guard case .object(let parameter) = resolved, case .string(let name)? = parameter["name"],
                    case .string(let location)? = parameter["in"]
                else { throw DocumentError("\(id) has a parameter without name or in") }
                var missing: String?
                if case .string(let text)? = parameter["x-errand-missing"] { missing = text }
                parameters.append(
                    Parameter(
                        name: name,
                        location: location,
                        required: parameter["required"] == .bool(true),
                        schema: parameter["schema"] ?? .object([:]),
                        missing: missing
                    )
                )
            }
        }
        self.parameters = parameters
        if case .object(let body)? = operation["requestBody"] {
            guard case .object(let content)? = body["content"], case .object(let media)? = content["application/json"] else {
                throw DocumentError("\(id)'s request body must be application/json")
            }
            bodySchema = media["schema"] ?? .object([:])
            bodyRequired = body["required"] == .bool(true)
        } else {
            bodySchema = nil
            bodyRequired = false
        }
    }

    /// The path parameters if `path` (split at `/`) matches this operation's template.
    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var values: [String: String] = [:]
        for (template, segment) in zip(segments, path) {
            if template.hasPrefix("{"), template.hasSuffix("}") {
                values[String(template.dropFirst().dropLast())] = segment
            } else if template != segment {
                return nil
            }
        }
        return values
    }

    /// How many literal segments the template has: the more, the more specific (`/v1/tasks/batch` over `/v1/tasks/{id}`).
    var literalCount: Int { segments.filter { !$0.hasPrefix("{") }.count }
}
