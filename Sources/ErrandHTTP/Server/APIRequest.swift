import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// A request that matched an operation and passed its checks: path, query and header values converted to the types
/// the document gives them, and the body parsed.
struct APIRequest: Sendable {
    let pathValues: [String: String]
    /// Query and header parameters by name.
    let query: [String: JSONValue]
    /// The body's root object; empty when the operation takes no body or none was sent.
    let body: BodyObject
    /// The caller's role: its token's, or admin when the server checks no tokens.
    var role: APIRole = .admin
    /// Whether the server checks bearer tokens.
    var checksTokens = false

    /// A path parameter (present: the route matched).
    func path(_ name: String) -> String { pathValues[name] ?? "" }

    /// A task id path parameter (`{id}` unless named; checked as a UUID already).
    func taskID(_ name: String = "id") throws -> TaskID {
        guard let id = TaskID(path(name)) else { throw Problem.badRequest("\(name): must be a UUID, got \"\(path(name))\"") }
        return id
    }

    func queryBool(_ name: String) -> Bool? {
        if case .bool(let flag)? = query[name] { return flag }
        return nil
    }

    func queryString(_ name: String) -> String? {
        if case .string(let text)? = query[name] { return text }
        return nil
    }

    func queryNumber(_ name: String) -> Double? {
        if case .number(let number)? = query[name] { return number }
        return nil
    }

    func queryStrings(_ name: String) -> [String] {
        guard case .array(let items)? = query[name] else { return [] }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }
}

/// An object of a parsed body, read member by member (its shape was checked against the document).
struct BodyObject: Sendable {
    let parsed: ParsedJSON?
    let members: [String: ParsedJSON.Node]

    static let empty = BodyObject(parsed: nil, members: [:])

    init(parsed: ParsedJSON?, members: [String: ParsedJSON.Node]) {
        self.parsed = parsed
        self.members = members
    }

    init(_ parsed: ParsedJSON) {
        self.parsed = parsed
        if case .object(let members) = parsed.root.kind { self.members = members } else { self.members = [:] }
    }

    /// A member's value, `nil` when absent or `null`.
    func string(_ name: String) -> String? {
        if case .string(let text)? = members[name]?.kind { return text }
        return nil
    }

    func double(_ name: String) -> Double? {
        if case .number(let number)? = members[name]?.kind { return number }
        return nil
    }

    func int(_ name: String) -> Int? { double(name).flatMap { Int(exactly: $0) } }

    func bool(_ name: String) -> Bool? {
        if case .bool(let flag)? = members[name]?.kind { return flag }
        return nil
    }

    func strings(_ name: String) -> [String] {
        guard case .array(let items)? = members[name]?.kind else { return [] }
        return items.compactMap { if case .string(let text) = $0.kind { text } else { nil } }
    }

    /// Whether a member is absent or `null`.
    func isNull(_ name: String) -> Bool {
        guard let node = members[name] else { return true }
        if case .null = node.kind { return true }
        return false
    }

    /// A member as the exact JSON text the client sent, or `nil` when absent.
    func rawJSON(_ name: String) -> String? {
        guard let parsed, let node = members[name] else { return nil }
        return parsed.text(of: node)
    }

    func object(_ name: String) -> BodyObject? {
        guard case .object(let members)? = self.members[name]?.kind else { return nil }
        return BodyObject(parsed: parsed, members: members)
    }

    func objects(_ name: String) -> [BodyObject] {
        guard case .array(let items)? = members[name]?.kind else { return [] }
        return items.compactMap { item in
            if case .object(let members) = item.kind { BodyObject(parsed: parsed, members: members) } else { nil }
        }
    }
}

extension Response {
    /// A JSON answer.
    static func json(_ value: OutputJSON, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(value.text)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    /// An error as `{"message": "…"}` (tasques' error body), with the problem's status and headers.
    static func message(_ problem: Problem) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(OutputJSON.object([("message", .string(problem.detail))]).text)
        var headers = problem.headers
        headers[.contentType] = "application/json"
        return Response(status: problem.status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    /// An error as seastar's `json_exception` writes it (`{"message": "…", "code": N}`), ScyllaDB's error body.
    static func seastar(_ problem: Problem) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(OutputJSON.object([("message", .string(problem.detail)), ("code", .int(Int(problem.status.code)))]).text)
        var headers = problem.headers
        headers[.contentType] = "application/json"
        return Response(status: problem.status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    /// A success without a body (seastar's `json_void`: ScyllaDB's abort and drain answer nothing).
    static func empty() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer()))
    }

    /// A problem details answer.
    static func problem(_ problem: Problem) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(OutputJSON(problem.json).text)
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: problem.status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}
