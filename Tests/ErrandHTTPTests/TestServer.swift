import Errand
import ErrandCore
import ErrandHTTP
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An answer of the server under test.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// The HTTP API on a real port over a real SQLite store, for one test.
struct TestServer: Sendable {
    static let adminToken = "admin-token-for-tests-0123456789"
    static let readToken = "read-token-for-tests-0123456789"

    let baseURL: String
    let client: ErrandClient

    /// Runs `body` against a server with an admin and a read token (or no authentication with `auth: .none`).
    static func with<T: Sendable>(
        auth: BearerAuth = .tokens([.init(adminToken, role: .admin), .init(readToken, role: .read)]),
        time: any TimeSource = SystemTimeSource(),
        definitions: [TaskDefinition] = [],
        longestWait: Double = 300,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("errand.db").path)
            let client = ErrandClient(store: store, time: time)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "errand.http.test")
            logger.logLevel = .critical
            let server = try ErrandHTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, auth: auth, longestWait: longestWait),
                services: APIServices(client: client, definitions: { definitions }),
                logger: logger
            ) { _, port in continuation.yield(port) }
            let running = Task { try await server.run() }
            defer { running.cancel() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HTTPServerError("the server did not start") }
            return try await body(TestServer(baseURL: "http://127.0.0.1:\(port)", client: client))
        }
    }

    /// Sends one request; `json` is sent as the body with `Content-Type: application/json`.
    func send(
        _ method: String,
        _ path: String,
        json: String? = nil,
        token: String? = TestServer.adminToken,
        headers: [String: String] = [:]
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw HTTPServerError("not an HTTP response") }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
        return HTTPAnswer(status: http.statusCode, headers: headers, body: data)
    }
}
