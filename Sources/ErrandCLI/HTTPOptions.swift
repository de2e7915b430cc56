import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import Foundation

/// `errand serve`'s HTTP API settings: flag, then `ERRAND_HTTP*` environment variable, then the file's `http:`
/// section, then the default (127.0.0.1:8080; no authentication when no token is configured, which only loopback
/// allows).
struct HTTPOptions: ParsableArguments {
    @Option(
        name: .customLong("http"),
        help: "Where the HTTP API listens, HOST:PORT (port 0 picks one), or off (default: $ERRAND_HTTP, the file's http.listen, or 127.0.0.1:8080)."
    )
    var listen: String?

    @Option(
        help:
            "token or none; none is allowed only on a loopback address (default: $ERRAND_HTTP_AUTH, the file's http.auth, else token when a token is configured, none when not)."
    )
    var auth: String?

    /// The server's configuration, or `nil` when the API is off.
    /// - Throws: ``CLIFailure`` (exit 2) for an address that does not parse, an unknown auth mode, tokens missing
    ///   where they are needed, or no authentication off loopback.
    func configuration(file: HTTPSettings) throws -> HTTPServerConfiguration? {
        let environment = ProcessInfo.processInfo.environment
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let listen = self.listen ?? env("ERRAND_HTTP") ?? file.listen ?? "127.0.0.1:8080"
        if listen == "off" { return nil }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIFailure("--http: \"\(listen)\" is not HOST:PORT (or off)", exitCode: CLIFailure.badInput)
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        var tokens = file.tokens.map { BearerAuth.Token($0.token, role: $0.role == "read" ? .read : .admin) }
        for (variable, role) in [("ERRAND_HTTP_ADMIN_TOKENS", APIRole.admin), ("ERRAND_HTTP_READ_TOKENS", .read)] {
            for secret in (env(variable) ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !secret.isEmpty {
                guard secret.count >= HTTPSettings.minimumTokenLength else {
                    throw CLIFailure(
                        "\(variable): every token must be at least \(HTTPSettings.minimumTokenLength) characters (it is a secret)",
                        exitCode: CLIFailure.badInput
                    )
                }
                tokens.append(BearerAuth.Token(secret, role: role))
            }
        }
        let mode = auth ?? env("ERRAND_HTTP_AUTH") ?? file.auth ?? (tokens.isEmpty ? "none" : "token")
        var configuration = HTTPServerConfiguration(host: host, port: port)
        if let bytes = file.maxBodyBytes { configuration.maxBodyBytes = bytes }
        if let text = env("ERRAND_HTTP_MAX_WAIT") {
            guard let seconds = Double(text), (try? InvalidField.seconds(seconds, "", allowZero: true)) != nil else {
                throw CLIFailure("ERRAND_HTTP_MAX_WAIT: \"\(text)\" is not a number of seconds >= 0", exitCode: CLIFailure.badInput)
            }
            configuration.longestWait = seconds
        } else if let seconds = file.maxWait {
            configuration.longestWait = seconds
        }
        switch mode {
        case "none":
            guard configuration.isLoopback else {
                throw CLIFailure(
                    "the HTTP API on \(listen) would have no authentication; --auth none is allowed only on a loopback address (127.0.0.1, ::1). Set tokens with ERRAND_HTTP_ADMIN_TOKENS / ERRAND_HTTP_READ_TOKENS or http.tokens",
                    exitCode: CLIFailure.badInput
                )
            }
            configuration.auth = .none
        case "token":
            guard !tokens.isEmpty else {
                throw CLIFailure(
                    "--auth token needs at least one token: ERRAND_HTTP_ADMIN_TOKENS, ERRAND_HTTP_READ_TOKENS or http.tokens in the file",
                    exitCode: CLIFailure.badInput
                )
            }
            configuration.auth = .tokens(tokens)
        default:
            throw CLIFailure("--auth: \"\(mode)\" is not token or none", exitCode: CLIFailure.badInput)
        }
        return configuration
    }
}
