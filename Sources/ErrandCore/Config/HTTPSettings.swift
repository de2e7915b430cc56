import Foundation

/// The `http:` section of the configuration file: where `errand serve`'s HTTP API listens and who may call it.
/// Flags (`--http`, `--auth`) and `ERRAND_HTTP*` environment variables override it.
///
/// ```yaml
/// http:
///   listen: 0.0.0.0:8080        # or "off"
///   auth: token                 # or none (loopback only)
///   tokens:
///     - {token: s3cret-admin, role: admin}
///     - {token: s3cret-read, role: read}
/// ```
public struct HTTPSettings: Sendable, Hashable {
    /// One bearer token and its role.
    public struct Token: Sendable, Hashable {
        public var token: String
        /// `read` or `admin`.
        public var role: String

        public init(token: String, role: String) {
            self.token = token
            self.role = role
        }
    }

    /// `HOST:PORT`, or `off` for no HTTP API (`listen`).
    public var listen: String?
    /// `token` or `none` (`auth`).
    public var auth: String?
    /// Bearer tokens (`tokens`).
    public var tokens: [Token] = []
    /// Largest request body in bytes (`max_body_bytes`).
    public var maxBodyBytes: Int?
    /// Longest a long-poll is held, in seconds (`max_wait`).
    public var maxWait: Double?

    public init() {}

    static let keys: Set<String> = ["listen", "auth", "tokens", "max_body_bytes", "max_wait"]
    /// The roles a token may have.
    public static let roles = ["read", "admin"]
    /// Fewest characters of a token (it is a secret), from the file or the environment.
    public static let minimumTokenLength = 16

    /// Reads the section.
    /// - Throws: ``InvalidField`` naming the first problem, e.g. `http.tokens[1].role`.
    init(section value: Any) throws(InvalidField) {
        let section = try ConfigTree.mapping(value, "http", known: Self.keys, what: "an http setting")
        if let value = section["listen"] { listen = try ConfigTree.string(value, "http.listen") }
        if let value = section["auth"] {
            let mode = try ConfigTree.string(value, "http.auth")
            guard ["token", "none"].contains(mode) else { throw InvalidField(field: "http.auth", reason: "must be token or none, got \"\(mode)\"") }
            auth = mode
        }
        if let value = section["max_body_bytes"] { maxBodyBytes = try ConfigTree.integer(value, "http.max_body_bytes", atLeast: 1024) }
        if let value = section["max_wait"] {
            maxWait = try InvalidField.seconds(try ConfigTree.number(value, "http.max_wait"), "http.max_wait", allowZero: true)
        }
        if let value = section["tokens"], !(value is NSNull) {
            guard let list = value as? [Any] else { throw InvalidField(field: "http.tokens", reason: "must be a list of {token, role}") }
            for (index, item) in list.enumerated() {
                let field = "http.tokens[\(index)]"
                let entry = try ConfigTree.mapping(item, field, known: ["token", "role"], what: "a token setting")
                let token = try ConfigTree.string(entry["token"] ?? "", "\(field).token")
                guard token.count >= Self.minimumTokenLength else {
                    throw InvalidField(field: "\(field).token", reason: "must be at least \(Self.minimumTokenLength) characters (it is a secret)")
                }
                let role = try ConfigTree.string(entry["role"] ?? "admin", "\(field).role")
                guard Self.roles.contains(role) else { throw InvalidField(field: "\(field).role", reason: "must be read or admin, got \"\(role)\"") }
                tokens.append(Token(token: token, role: role))
            }
        }
    }
}
