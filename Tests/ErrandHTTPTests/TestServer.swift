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

/// The HTTP API on a real port over a real SQLite store, for one test.
struct TestServer: Sendable {
    static let adminToken = "admin-token-for-tests-0123456789"
    static let readToken = "read-token-for-tests-0123456789"

    let baseURL: String
    /// The store the server serves, for what only a node does (the change log, rescue).
    let store: any TaskStore
    /// The SQLite file behind `store`, for tests that write rows no API writes (a corrupt row).
    let databasePath: String
    let client: ErrandClient

    /// Runs `body` against a server with an admin and a read token (or no authentication with `auth: .none`).
    static func with<T: Sendable>(
        auth: BearerAuth = .tokens([.init(adminToken, role: .admin), .init(readToken, role: .read)]),
        time: any TimeSource = SystemTimeSource(),
        definitions: [TaskDefinition] = [],
        longestWait: Double = 300,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        try await with(auth: auth, time: time, definitionsNow: { definitions }, longestWait: longestWait, body)
    }

    /// As ``with(auth:time:definitions:longestWait:_:)``, with definitions that the test may change as it runs.
    static func with<T: Sendable>(
        auth: BearerAuth = .tokens([.init(adminToken, role: .admin), .init(readToken, role: .read)]),
        time: any TimeSource = SystemTimeSource(),
        definitionsNow definitions: @escaping @Sendable () async -> [TaskDefinition],
        longestWait: Double = 300,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        try await TemporaryDirectory.with { directory in
            let databasePath = directory.appendingPathComponent("errand.db").path
            let store = try SQLiteTaskStore(path: databasePath)
            let client = ErrandClient(store: store, time: time)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "errand.http.test")
            logger.logLevel = .critical
            let server = try ErrandHTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, auth: auth, longestWait: longestWait),
                services: APIServices(store: store, time: time, definitions: definitions),
                logger: logger
            ) { _, port in continuation.yield(port) }
            let running = Task { try await server.run() }
            defer { running.cancel() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HTTPServerError("the server did not start") }
            return try await body(TestServer(baseURL: "http://127.0.0.1:\(port)", store: store, databasePath: databasePath, client: client))
        }
    }

    /// Sends one request as ``HTTPTestClient/send(_:_:json:token:headers:)`` does, with the admin token unless
    /// `token` names another (or `nil`, none).
    func send(
        _ method: String,
        _ path: String,
        json: String? = nil,
        token: String? = TestServer.adminToken,
        headers: [String: String] = [:]
    ) async throws -> HTTPAnswer {
        try await HTTPTestClient(baseURL: baseURL).send(method, path, json: json, token: .some(token), headers: headers)
    }
}
