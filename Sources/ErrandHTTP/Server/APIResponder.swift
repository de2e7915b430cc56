import ErrandCore
import Foundation
import Hummingbird
import Logging

/// What handles one operation.
typealias OperationHandler = @Sendable (APIRequest) async throws -> Response

/// Routes requests to operations by the API document: matches the path, checks the token's role, converts and checks
/// parameters and the body against the document, runs the operation's handler, and turns every error into problem
/// details. Nothing reaches a handler that the document does not allow.
struct APIResponder: Sendable {
    let document: APIDocument
    let handlers: [String: OperationHandler]
    let auth: BearerAuth
    let maxBodyBytes: Int
    let logger: Logger

    /// - Throws: ``DocumentError`` when the handlers and the document's operations differ.
    init(document: APIDocument, handlers: [String: OperationHandler], auth: BearerAuth, maxBodyBytes: Int, logger: Logger) throws {
        let documented = Set(document.operations.map(\.id))
        let implemented = Set(handlers.keys)
        guard documented == implemented else {
            throw DocumentError(
                "operations without a handler: \(documented.subtracting(implemented).sorted()); handlers without an operation: \(implemented.subtracting(documented).sorted())"
            )
        }
        self.document = document
        self.handlers = handlers
        self.auth = auth
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    func respond(to request: Request) async -> Response {
        let started = ContinuousClock.now
        let response: Response
        var style = ErrorStyle.problem
        do {
            response = try await route(request, style: &style)
        } catch {
            let problem = Problem.from(error)
            if problem.status.code >= 500 {
                logger.error("HTTP \(request.method) \(request.uri.path) answered \(problem.status.code): \(problem.detail)")
            }
            switch style {
            case .problem: response = .problem(problem)
            case .message: response = .message(problem)
            case .seastar: response = .seastar(problem)
            }
        }
        logger.debug(
            "HTTP \(request.method) \(request.uri.path) \(response.status.code)",
            metadata: ["errand.http.duration_ms": "\(Int(((ContinuousClock.now - started).seconds * 1000).rounded()))"]
        )
        return response
    }

    /// Answers a request; sets `style` to the matched operation's error style before anything else can fail.
    private func route(_ request: Request, style: inout ErrorStyle) async throws -> Response {
        var request = request
        let segments = try Self.pathSegments(request.uri.path)
        let candidates = document.operations.compactMap { operation in operation.match(segments).map { (operation, $0) } }
        guard let mostSpecific = candidates.map(\.0.literalCount).max() else {
            throw Problem.notFound("no route \(request.uri.path); the API is described at /openapi.json")
        }
        let routes = candidates.filter { $0.0.literalCount == mostSpecific }
        guard let (operation, pathValues) = routes.first(where: { $0.0.method == request.method.rawValue }) else {
            let allowed = routes.map(\.0.method).sorted().joined(separator: ", ")
            var problem = Problem(
                .methodNotAllowed,
                "method-not-allowed",
                "\(request.method) is not allowed on \(request.uri.path); allowed: \(allowed)"
            )
            problem.headers[.allow] = allowed
            throw problem
        }
        style = operation.errorStyle
        let role = try auth.authorise(request.headers, for: operation.role)
        let query = try checkedParameters(operation, path: pathValues, query: request.uri.query, headers: request.headers)
        let body = try await checkedBody(operation, &request)
        guard let handler = handlers[operation.id] else { throw Problem.notFound("no handler for \(operation.id)") }
        return try await handler(APIRequest(pathValues: pathValues, query: query, body: body, role: role, checksTokens: auth.checksTokens))
    }

    static func pathSegments(_ path: String) throws(Problem) -> [String] {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = String(raw).removingPercentEncoding else {
                throw Problem.badRequest("the path has a malformed percent-encoding: \(raw)")
            }
            segments.append(decoded)
        }
        return segments
    }

    /// Checks path parameters and converts and checks the query string and header parameters; answers the query and
    /// header values by name.
    private func checkedParameters(_ operation: APIOperation, path: [String: String], query: String?, headers: HTTPFields) throws
        -> [String: JSONValue]
    {
        let pairs = try QueryString.pairs(query ?? "")
        let declared = Set(operation.parameters.filter { $0.location == "query" }.map(\.name))
        if let unknown = pairs.map(\.0).first(where: { !declared.contains($0) }) {
            let known = declared.sorted().joined(separator: ", ")
            throw Problem.badRequest("unknown query parameter \"\(unknown)\"\(known.isEmpty ? "; this operation takes none" : "; known: \(known)")")
        }
        var values: [String: JSONValue] = [:]
        for parameter in operation.parameters {
            let texts: [String]
            switch parameter.location {
            case "path": texts = path[parameter.name].map { [$0] } ?? []
            case "query": texts = pairs.filter { $0.0 == parameter.name }.map(\.1)
            case "header": texts = headers.filter { $0.name.canonicalName == parameter.name.lowercased() }.map(\.value)
            default: continue
            }
            // A blank value of a parameter with its own message for a missing one counts as missing (tasques' header).
            let blank = parameter.missing != nil && texts.allSatisfy { $0.allSatisfy(\.isWhitespace) }
            if texts.isEmpty || blank {
                if parameter.required { throw Problem.badRequest(parameter.missing ?? "\(parameter.name) is required") }
                continue
            }
            let value = try QueryString.value(texts, schema: parameter.schema, schemas: document.schemaCheck.schemas, name: parameter.name)
            if let problem = document.schemaCheck.problem(value, parameter.schema, at: parameter.name) { throw Problem.badRequest(problem) }
            if parameter.location != "path" { values[parameter.name] = value }
        }
        return values
    }

    private func checkedBody(_ operation: APIOperation, _ request: inout Request) async throws -> BodyObject {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw Problem(.contentTooLarge, "too-large", "the request body is larger than the \(maxBodyBytes) bytes this server accepts")
        }
        let bytes = Array(buffer.readableBytesView)
        let blank = bytes.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard let schema = operation.bodySchema else {
            guard blank || bytes == Array("{}".utf8) else { throw Problem.badRequest("\(operation.id) takes no request body") }
            return .empty
        }
        if blank {
            if operation.bodyRequired { throw Problem.badRequest("this operation needs a JSON request body") }
            return .empty
        }
        let parsed = try ParsedJSON(bytes)
        if let problem = document.schemaCheck.problem(ParsedJSON.json(parsed.root), schema, at: "body") { throw Problem.badRequest(problem) }
        return BodyObject(parsed)
    }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The query string, decoded, and its values converted to the types the document gives the parameters.
enum QueryString {
    /// `name=value` pairs in order; `+` is a space.
    static func pairs(_ query: String) throws(Problem) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(halves[0]), let value = decode(halves.count > 1 ? halves[1] : "") else {
                throw Problem.badRequest("the query string has a malformed percent-encoding: \(part)")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The texts given for one parameter as the JSON value its schema describes.
    static func value(_ texts: [String], schema: JSONValue, schemas: [String: JSONValue], name: String) throws(Problem) -> JSONValue {
        let rules = resolved(schema, schemas)
        if case .string("array")? = rules["type"] {
            let items = rules["items"] ?? .object([:])
            var values: [JSONValue] = []
            for text in texts { values.append(try scalar(text, resolved(items, schemas), name: name)) }
            return .array(values)
        }
        guard texts.count == 1 else { throw Problem.badRequest("\(name) is given \(texts.count) times; give it once") }
        return try scalar(texts[0], rules, name: name)
    }

    private static func scalar(_ text: String, _ rules: [String: JSONValue], name: String) throws(Problem) -> JSONValue {
        switch rules["type"] {
        case .string("integer")?:
            guard let number = Int(text) else { throw Problem.badRequest("\(name): must be an integer, got \"\(text.prefix(60))\"") }
            return .number(Double(number))
        case .string("number")?:
            guard text.wholeMatch(of: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/) != nil, let number = Double(text), number.isFinite else {
                throw Problem.badRequest("\(name): must be a number, got \"\(text.prefix(60))\"")
            }
            return .number(number)
        case .string("boolean")?:
            guard text == "true" || text == "false" else { throw Problem.badRequest("\(name): must be true or false, got \"\(text.prefix(60))\"") }
            return .bool(text == "true")
        default:
            return .string(text)
        }
    }

    private static func resolved(_ schema: JSONValue, _ schemas: [String: JSONValue]) -> [String: JSONValue] {
        guard case .object(let rules) = schema else { return [:] }
        if case .string(let reference)? = rules["$ref"], case .object(let target)? = schemas[String(reference.split(separator: "/").last ?? "")] {
            return target
        }
        return rules
    }
}
