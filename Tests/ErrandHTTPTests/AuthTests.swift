import Errand
import ErrandCore
import ErrandHTTP
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// Bearer tokens, route by route from the OpenAPI document: no route answers without a token it accepts, and no write
/// route answers a read token.
@Suite(.timeLimit(.minutes(5))) struct AuthTests {
    /// The route's path with its parameters filled in with well-formed values.
    static func concrete(_ template: String) -> String {
        template
            .replacingOccurrences(of: "{id}", with: "01a21492-4597-72f5-b2f6-46abe2e1f1b5")
            .replacingOccurrences(of: "{name}", with: "default")
    }

    @Test func everyRouteOfTheDocumentChecksItsToken() async throws {
        let routes = APIDocument.current.routes
        #expect(routes.count >= 28)
        #expect(routes.contains { $0.role == "admin" } && routes.contains { $0.role == "read" })
        // Long-polls and the event stream answer at once (they are held for 0.2 s at most).
        try await TestServer.with(longestWait: 0.2) { server in
            for route in routes {
                let path = Self.concrete(route.path)
                let label = "\(route.method) \(route.path)"
                // tasques' operations answer errors as tasques does, {"message": …}, and ScyllaDB's task manager paths
                // as seastar does, {"message": …, "code": …}; the rest as problem details.
                let peer = route.path.hasPrefix("/tasques") || route.path.hasPrefix("/recurring_tasques") || route.path.hasPrefix("/task_manager")
                let errorType = peer ? "application/json" : "application/problem+json"
                let errorText = peer ? "message" : "detail"
                if route.role == "public" {
                    let answer = try await server.send(route.method, path, token: nil)
                    #expect(answer.status != 401 && answer.status != 403, "\(label) is public but answered \(answer.status)")
                    continue
                }
                let missing = try await server.send(route.method, path, token: nil)
                #expect(missing.status == 401, "\(label) without a token answered \(missing.status)")
                #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(label): no WWW-Authenticate")
                #expect(missing.header("Content-Type") == errorType, "\(label): not \(errorType)")
                let unknown = try await server.send(route.method, path, token: "not-a-token-of-this-server")
                #expect(unknown.status == 401, "\(label) with an unknown token answered \(unknown.status)")
                let read = try await server.send(route.method, path, token: TestServer.readToken)
                if route.role == "admin" {
                    #expect(read.status == 403, "\(label) answered \(read.status) to a read token")
                    #expect((read.object[errorText] as? String)?.contains("admin token") == true, "\(label): \(read.text)")
                } else {
                    #expect(read.status != 401 && read.status != 403, "\(label) refused a read token: \(read.status)")
                }
                let admin = try await server.send(route.method, path, token: TestServer.adminToken)
                #expect(admin.status != 401 && admin.status != 403, "\(label) refused the admin token: \(admin.status)")
            }
        }
    }

    @Test func aRefusedWriteChangesNothing() async throws {
        try await TestServer.with { server in
            let body = #"{"handler": "errand.echo"}"#
            let asReader = try await server.send("POST", "/v1/tasks", json: body, token: TestServer.readToken)
            let asNobody = try await server.send("POST", "/v1/tasks", json: body, token: nil)
            let queueAsReader = try await server.send("POST", "/v1/queues", json: #"{"name": "q"}"#, token: TestServer.readToken)
            let statuses: [Int] = [asReader.status, asNobody.status, queueAsReader.status]
            #expect(statuses == [403, 401, 403])
            let tasks = try await server.client.list().tasks
            let queues = try await server.client.queues().map(\.name)
            #expect(tasks.isEmpty)
            #expect(queues == ["default"])
            // The same with an admin token is accepted.
            let asAdmin = try await server.send("POST", "/v1/tasks", json: body)
            #expect(asAdmin.status == 201)
            let stored = try await server.client.list().tasks
            #expect(stored.count == 1)
        }
    }

    @Test func noAuthenticationIsRefusedOffLoopback() async throws {
        try await TemporaryDirectory.with { directory in try Self.checkLoopbackRule(directory) }
    }

    static func checkLoopbackRule(_ directory: URL) throws {
        let services = APIServices(store: try SQLiteTaskStore(path: directory.appendingPathComponent("e.db").path))
        #expect(throws: HTTPServerError.self) {
            _ = try ErrandHTTPServer(configuration: HTTPServerConfiguration(host: "0.0.0.0", port: 0, auth: .none), services: services)
        }
        _ = try ErrandHTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, auth: .none), services: services)
        _ = try ErrandHTTPServer(
            configuration: HTTPServerConfiguration(host: "0.0.0.0", port: 0, auth: .tokens([.init("a-long-enough-token!", role: .admin)])),
            services: services
        )
    }

    /// `/v1/whoami` answers the caller's role, so that the dashboard shows a read token's actions disabled.
    @Test func whoAmIAnswersTheTokensRole() async throws {
        try await TestServer.with { server in
            for (token, role) in [(TestServer.adminToken, "admin"), (TestServer.readToken, "read")] {
                let answer = try await server.send("GET", "/v1/whoami", token: token)
                #expect(answer.status == 200)
                #expect(answer.text == #"{"role":"\#(role)","checks_tokens":true}"#, "\(answer.text)")
            }
            #expect(try await server.send("GET", "/v1/whoami", token: nil).status == 401)
        }
        try await TestServer.with(auth: .none) { server in
            let answer = try await server.send("GET", "/v1/whoami", token: nil)
            #expect(answer.text == #"{"role":"admin","checks_tokens":false}"#)
        }
    }

    @Test func tokensCompareInFullAndOnlyWhenEqual() {
        #expect(BearerAuth.equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerAuth.equal(Array("abc".utf8), Array("abd".utf8)))
        #expect(!BearerAuth.equal(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!BearerAuth.equal([], Array("a".utf8)))
        #expect(BearerAuth.equal([], []))
    }
}
