import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// The GraphQL API over real HTTP: Tarantool's `mutation { task { start(name: …) } }` at `/admin/api`, the task read
/// back with its attempts at `/graphql`, and the REST API's tokens and roles.
@Suite(.timeLimit(.minutes(5))) struct GraphQLTests {
    static let definitions: [TaskDefinition] = {
        // A short lease that heartbeats extend: its worker hears of the cancel within a second.
        var napper = TaskDefinition(name: "napper", kind: .singleShot, handler: "errand.sleep", arguments: #"{"seconds": 30}"#, timeToResolve: 3)
        napper.fixedLease = false
        return [TaskDefinition(name: "my_reload", kind: .singleShot, handler: "errand.echo", arguments: #"["some_string1"]"#), napper]
    }()

    /// Posts one GraphQL request as JSON.
    static func post(_ server: TestServer, _ query: String, at path: String = "/graphql", token: String? = TestServer.adminToken) async throws
        -> HTTPAnswer
    {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["query": query]), as: UTF8.self)
        return try await server.send("POST", path, json: body, token: token)
    }

    static func data(_ answer: HTTPAnswer, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(answer.status == 200, "\(answer.status): \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.object["errors"] == nil, "\(answer.text)", sourceLocation: sourceLocation)
        return try #require(answer.object["data"] as? [String: Any], "\(answer.text)", sourceLocation: sourceLocation)
    }

    @Test func tarantoolsStartMutationLaunchesADefinitionReadBackWithItsAttempts() async throws {
        try await TestServer.with(definitions: Self.definitions) { server in
            let node = ErrandNode(
                store: server.store,
                handlers: .withBuiltins(),
                configuration: NodeConfiguration(dispatcher: DispatcherConfiguration(worker: "graphql-test", pollInterval: 0.2))
            )
            try await node.withRunning {
                // The seed's request, its quotes escaped as JSON needs them.
                let started = try Self.data(try await Self.post(server, #"mutation { task { start(name: "my_reload") } }"#, at: "/admin/api"))
                let id = try #require((started["task"] as? [String: Any])?["start"] as? String)
                let done = try await eventually(timeout: 20, every: 0.1, "the launch completed") {
                    try await server.client.task(try #require(TaskID(id)))?.state == .completed
                }
                #expect(done)
                let read = try Self.data(
                    try await Self.post(
                        server,
                        #"{ task(id: "\#(id)") { id state module arguments result unknown_task attempts { number outcome worker result } } }"#
                    )
                )
                let task = try #require(read["task"] as? [String: Any])
                #expect(task["id"] as? String == id && task["state"] as? String == "completed" && task["module"] as? String == "my_reload")
                #expect(task["arguments"] as? [String] == ["some_string1"] && task["result"] as? [String] == ["some_string1"])
                let attempts = try #require(task["attempts"] as? [[String: Any]])
                #expect(attempts.count == 1)
                #expect(attempts.first?["number"] as? Int == 1 && attempts.first?["outcome"] as? String == "succeeded")
                #expect(attempts.first?["worker"] as? String == "graphql-test")

                // Other arguments, listed by filter, statistics in Tarantool's vocabulary, definitions.
                let second = try Self.data(try await Self.post(server, #"mutation { task { start(name: "my_reload", args: {x: [1, 2]}) } }"#))
                let secondID = try #require((second["task"] as? [String: Any])?["start"] as? String)
                _ = try await server.client.wait(for: try #require(TaskID(secondID)), timeout: 20)
                let listed = try Self.data(
                    try await Self.post(
                        server,
                        #"{ tasks(module: "my_reload", state: ["completed"], oldest_first: true) { tasks { id arguments } next_cursor } "#
                            + #"statistics { statuses { total completed unknown_task } definitions { definition completed } } "#
                            + #"definitions { name kind handler enabled source } queues { name retry_priority_decrement total completed } workers { name state } }"#
                    )
                )
                let page = try #require((listed["tasks"] as? [String: Any])?["tasks"] as? [[String: Any]])
                #expect(page.compactMap { $0["id"] as? String } == [id, secondID])
                #expect((page.last?["arguments"] as? [String: Any])?["x"] as? [Int] == [1, 2])
                let statuses = try #require((listed["statistics"] as? [String: Any])?["statuses"] as? [String: Any])
                #expect(statuses["total"] as? Int == 2 && statuses["completed"] as? Int == 2 && statuses["unknown_task"] as? Int == 0)
                #expect((listed["definitions"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["my_reload", "napper"])
                #expect((listed["queues"] as? [[String: Any]])?.first?["completed"] as? Int == 2)
                #expect((listed["queues"] as? [[String: Any]])?.first?["retry_priority_decrement"] as? Int == 0)

                // Cancel a running launch; retry a finished one.
                let napper = try Self.data(try await Self.post(server, #"mutation { task { start(name: "napper") } }"#))
                let napperID = try #require((napper["task"] as? [String: Any])?["start"] as? String)
                let running = try await eventually(timeout: 20, every: 0.1, "napper running") {
                    try await server.client.task(try #require(TaskID(napperID)))?.state == .running
                }
                #expect(running)
                let cancelled = try Self.data(try await Self.post(server, #"mutation { task { cancel(id: "\#(napperID)") { state } } }"#))
                #expect(((cancelled["task"] as? [String: Any])?["cancel"] as? [String: Any])?["state"] as? String == "cancelled")
                let retried = try Self.data(try await Self.post(server, #"mutation { task { retry(id: "\#(id)") { state attempt } } }"#))
                #expect(((retried["task"] as? [String: Any])?["retry"] as? [String: Any])?["state"] as? String == "pending")
                let again = try await server.client.wait(for: try #require(TaskID(id)), timeout: 20)
                #expect(again.state == .completed && again.attempt == 2)
                // The cancelled attempt has ended before the node stops.
                let ended = try await eventually(timeout: 20, every: 0.1, "the napper's attempt ended") {
                    try await server.client.attempts(of: try #require(TaskID(napperID))).count == 1
                }
                #expect(ended)
            }
        }
    }

    /// GraphQL answers members in the order they were selected (the spec's ordered maps), not in a hash's order.
    @Test func membersComeInTheOrderSelected() async throws {
        try await TestServer.with { server in
            let answer = try await Self.post(server, "{ queues { total state name retry_priority_decrement } workers { state } }")
            #expect(answer.status == 200)
            #expect(answer.text == #"{"data":{"queues":[{"total":0,"state":"active","name":"default","retry_priority_decrement":0}],"workers":[]}}"#)
        }
    }

    @Test func theRESTTokensAndRolesHold() async throws {
        try await TestServer.with(definitions: Self.definitions) { server in
            let start = #"mutation { task { start(name: "my_reload") } }"#
            for path in ["/graphql", "/admin/api"] {
                // A read token runs queries, but no mutation: 403, and nothing is started.
                let refused = try await Self.post(server, start, at: path, token: TestServer.readToken)
                #expect(refused.status == 403, "\(refused.text)")
                #expect((refused.object["detail"] as? String)?.contains("needs an admin token") == true, "\(refused.text)")
                #expect(try await server.client.list().tasks.isEmpty)
                let read = try Self.data(try await Self.post(server, "{ tasks { tasks { id } } }", at: path, token: TestServer.readToken))
                #expect(((read["tasks"] as? [String: Any])?["tasks"] as? [Any])?.isEmpty == true)
                #expect(try await Self.post(server, "{ tasks { tasks { id } } }", at: path, token: nil).status == 401)
                #expect(try await Self.post(server, "{ tasks { tasks { id } } }", at: path, token: "not-a-token-we-know").status == 401)
            }
            // An operation picked by name is judged by its own type.
            let body = #"{"query": "query q { queues { name } } mutation m { task { start(name: \"my_reload\") } }", "operationName": "q"}"#
            #expect(try await server.send("POST", "/graphql", json: body, token: TestServer.readToken).status == 200)
            #expect(try await server.client.list().tasks.isEmpty)
        }
    }

    @Test func badDocumentsAndFailingFieldsSayWhy() async throws {
        try await TestServer.with(definitions: Self.definitions) { server in
            let syntax = try await Self.post(server, "{ tasks { ")
            #expect(syntax.status == 400)
            #expect(((syntax.object["errors"] as? [[String: Any]])?.first?["message"] as? String)?.contains("Syntax Error") == true, "\(syntax.text)")
            let unknownField = try await Self.post(server, "{ nope }")
            #expect(unknownField.status == 400 && unknownField.text.contains(#"Cannot query field \"nope\""#), "\(unknownField.text)")
            // A field that fails as it runs: 200, with the error and nothing started.
            let unknown = try await Self.post(server, #"mutation { task { start(name: "nope") } }"#)
            #expect(unknown.status == 200, "\(unknown.text)")
            #expect(((unknown.object["errors"] as? [[String: Any]])?.first?["message"] as? String)?.contains("nope") == true, "\(unknown.text)")
            #expect(unknown.text.contains(#""data":{"task":{"start":null}}"#), "\(unknown.text)")
            let badState = try await Self.post(server, #"{ tasks(state: ["sleeping"]) { tasks { id } } }"#)
            #expect(badState.text.contains("sleeping"), "\(badState.text)")
            #expect(try await server.client.list().tasks.isEmpty)
            // Introspection is on.
            let schema = try Self.data(try await Self.post(server, #"{ __type(name: "TaskMutations") { fields { name } } }"#))
            let fields = ((schema["__type"] as? [String: Any])?["fields"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(fields?.sorted() == ["cancel", "retry", "start"])
        }
    }
}
