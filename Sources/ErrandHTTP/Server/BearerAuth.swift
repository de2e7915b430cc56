import Foundation
import Hummingbird

/// Who may call the API: bearer tokens with a role each, or nobody checked at all (loopback only).
///
/// Tokens are compared in constant time (every configured token, every byte), and never logged or echoed.
public struct BearerAuth: Sendable {
    /// A configured token and what it may do.
    public struct Token: Sendable {
        public var secret: String
        public var role: APIRole

        public init(_ secret: String, role: APIRole) {
            self.secret = secret
            self.role = role
        }
    }

    /// Whether tokens are checked.
    public let checksTokens: Bool
    private let tokens: [(bytes: [UInt8], role: APIRole)]

    /// No authentication: every caller is an admin. Only for a server bound to loopback.
    public static let none = BearerAuth(checksTokens: false, tokens: [])

    /// Tokens with roles; at least one.
    public static func tokens(_ tokens: [Token]) -> BearerAuth {
        BearerAuth(checksTokens: true, tokens: tokens.map { (Array($0.secret.utf8), $0.role) })
    }

    private init(checksTokens: Bool, tokens: [(bytes: [UInt8], role: APIRole)]) {
        self.checksTokens = checksTokens
        self.tokens = tokens
    }

    /// Lets the request through for an operation needing `needed`, answering the caller's role (admin when tokens are
    /// not checked; public for a public operation, whose token is not read), or throws 401 (no or unknown token) or 403
    /// (a token whose role is too weak).
    func authorise(_ headers: HTTPFields, for needed: APIRole) throws(Problem) -> APIRole {
        guard checksTokens else { return .admin }
        guard needed != .public else { return .public }
        guard let header = headers[.authorization] else {
            throw Self.unauthorised("this operation needs a bearer token (Authorization: Bearer TOKEN)")
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else {
            throw Self.unauthorised("the Authorization header must be \"Bearer TOKEN\"")
        }
        let presented = Array(header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces).utf8)
        guard let role = role(of: presented) else { throw Self.unauthorised("the bearer token is not one this server knows") }
        guard role >= needed else {
            throw Problem(.forbidden, "forbidden", "this operation needs an \(needed.rawValue) token; the token given is a \(role.rawValue) token")
        }
        return role
    }

    /// The role of the matching token, comparing against every token in full so that timing tells nothing.
    private func role(of presented: [UInt8]) -> APIRole? {
        var found: APIRole?
        for token in tokens where Self.equal(presented, token.bytes) {
            found = found.map { max($0, token.role) } ?? token.role
        }
        return found
    }

    /// Constant-time comparison: the time depends on the lengths only, not on where the bytes differ.
    public static func equal(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: left.count ^ right.count)
        let length = max(left.count, right.count)
        for index in 0..<length {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= UInt(a ^ b)
        }
        return difference == 0
    }

    private static func unauthorised(_ detail: String) -> Problem {
        var problem = Problem(.unauthorized, "unauthorized", detail)
        problem.headers[.wwwAuthenticate] = "Bearer realm=\"errand\""
        return problem
    }
}
