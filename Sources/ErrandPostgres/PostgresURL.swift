import ErrandStore
import Foundation

/// A `postgres://` URL split as libpq splits it: several `host:port` pairs may stand where one host would
/// (`postgres://user@h1:5432,h2:5433/db`), which `URLComponents` cannot read.
struct PostgresURL {
    /// The URL with its host list replaced by one placeholder host, for `URLComponents` to read the rest.
    let components: URLComponents
    let endpoints: [PostgresConfiguration.Endpoint]

    init(_ url: String) throws {
        guard let schemeEnd = url.range(of: "://"),
            ["postgres", "postgresql"].contains(url[..<schemeEnd.lowerBound].lowercased())
        else {
            throw StoreError(.invalid, "store URL \"\(Self.redacted(url))\" is not a postgres:// URL")
        }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let userInfo = authority[..<hostStart]
        let hostList = authority[hostStart...]
        guard let components = URLComponents(string: "postgres://\(userInfo)placeholder\(afterScheme[authorityEnd...])") else {
            throw StoreError(.invalid, "store URL \"\(Self.redacted(url))\" is not a postgres:// URL")
        }
        self.components = components
        self.endpoints = try hostList.split(separator: ",", omittingEmptySubsequences: false).map(Self.endpoint)
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`; an empty host is the loopback address, a missing port 5432.
    private static func endpoint(_ text: Substring) throws -> PostgresConfiguration.Endpoint {
        var host = text
        var port: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw StoreError(.invalid, "store URL: host \"\(text)\" opens \"[\" without closing it")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw StoreError(.invalid, "store URL: host \"\(text)\" has text after \"]\"") }
                port = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        var number = 5432
        if let port {
            guard let value = Int(port), (1...65535).contains(value) else {
                throw StoreError(.invalid, "store URL: port \"\(port)\" of host \"\(text)\" is not a number from 1 to 65535")
            }
            number = value
        }
        let name = host.removingPercentEncoding ?? String(host)
        return PostgresConfiguration.Endpoint(host: name.isEmpty ? "127.0.0.1" : name, port: number)
    }

    /// `url` with its password replaced by `***`, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + url[at...]
    }
}
