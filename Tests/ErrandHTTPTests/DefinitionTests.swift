import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// `/v1/definitions`: list, start with arguments, enable and disable for the whole cluster.
@Suite(.timeLimit(.minutes(5))) struct DefinitionTests {
    static let definitions: [TaskDefinition] = {
        var flush = TaskDefinition(name: "cache_flush", kind: .singleShot, handler: "errand.echo")
        flush.arguments = #"["a","b"]"#
        return [flush, TaskDefinition(name: "keep_alive", kind: .continuous, handler: "errand.sleep")]
    }()

    @Test func definitionsAreListedStartedAndSwitchedOffAndOn() async throws {
        try await TestServer.with(definitions: Self.definitions) { server in
            let listed = try await server.send("GET", "/v1/definitions", token: TestServer.readToken)
            let items = listed.object["definitions"] as? [[String: Any]] ?? []
            #expect(items.map { $0["name"] as? String } == ["cache_flush", "keep_alive"])
            #expect(items.map { $0["enabled"] as? Bool } == [true, true])
            #expect(items.first?["kind"] as? String == "single_shot")

            let started = try await server.send("POST", "/v1/definitions/cache_flush/start")
            #expect(started.status == 201, "\(started.text)")
            #expect(started.text.contains(#""arguments":["a","b"]"#))
            #expect(started.object["module"] as? String == "cache_flush")
            let other = try await server.send("POST", "/v1/definitions/cache_flush/start", json: #"{"arguments": {"only": "c"}}"#)
            #expect(other.text.contains(#""arguments":{"only": "c"}"#), "\(other.text)")

            let disabled = try await server.send("POST", "/v1/definitions/keep_alive/disable")
            #expect(disabled.object["enabled"] as? Bool == false)
            let stored = try await server.store.disabledDefinitions()
            #expect(stored == ["keep_alive"])
            let relisted = try await server.send("GET", "/v1/definitions")
            #expect((relisted.object["definitions"] as? [[String: Any]])?.map { $0["enabled"] as? Bool } == [true, false])
            let enabled = try await server.send("POST", "/v1/definitions/keep_alive/enable")
            #expect(enabled.object["enabled"] as? Bool == true)
            let none = try await server.store.disabledDefinitions()
            #expect(none.isEmpty)

            let unknown = try await server.send("POST", "/v1/definitions/nope/disable")
            #expect(unknown.status == 404)
            #expect((unknown.object["detail"] as? String)?.contains("defined: cache_flush, keep_alive") == true, "\(unknown.text)")
        }
    }
}
