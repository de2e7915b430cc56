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

    @Test func definitionsAreCreatedReplacedAndDeletedOverHTTPAndTheFilesAreReadOnly() async throws {
        try await TestServer.with(definitions: Self.definitions) { server in
            let spec = #"{"kind": "periodical", "func_name": "errand.echo", "schedule": "@every 1s", "skip_if_outstanding": true, "args": {"n": 1}}"#
            let created = try await server.send("POST", "/v1/definitions/every_second", json: spec)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.object["source"] as? String == "api")
            #expect(created.object["schedule"] as? String == "@every 1s")
            #expect((created.object["spec"] as? [String: Any])?["skip_if_outstanding"] as? Bool == true)
            #expect((created.object["next_runs"] as? [String])?.count == 3)
            let again = try await server.send("POST", "/v1/definitions/every_second", json: spec)
            #expect(again.status == 409, "\(again.text)")

            let listed = try await server.send("GET", "/v1/definitions", token: TestServer.readToken)
            let items = listed.object["definitions"] as? [[String: Any]] ?? []
            #expect(items.map { $0["name"] as? String } == ["cache_flush", "every_second", "keep_alive"])
            #expect(items.map { $0["source"] as? String } == ["file", "api", "file"])
            let one = try await server.send("GET", "/v1/definitions/every_second", token: TestServer.readToken)
            #expect(one.object["handler"] as? String == "errand.echo")
            let refused = try await server.send("POST", "/v1/definitions/other", json: spec, token: TestServer.readToken)
            #expect(refused.status == 403)

            // Bad input: the configuration file's rules and messages, and nothing stored.
            let badCron = try await server.send(
                "POST",
                "/v1/definitions/bad",
                json: #"{"kind": "periodical", "func_name": "h", "schedule": "61 * * * *"}"#
            )
            #expect(badCron.status == 400)
            #expect((badCron.object["detail"] as? String)?.contains("tasks.bad.schedule") == true, "\(badCron.text)")
            let unknownKey = try await server.send("POST", "/v1/definitions/bad", json: #"{"kind": "continuous", "func_name": "h", "pause": 1}"#)
            #expect(unknownKey.status == 400, "\(unknownKey.text)")
            let badName = try await server.send("POST", "/v1/definitions/b%20d", json: #"{"kind": "continuous", "func_name": "h"}"#)
            #expect(badName.status == 400, "\(badName.text)")
            let names = try await server.store.storedDefinitions().map(\.name)
            #expect(names == ["every_second"])

            // The file's definitions are read-only over the API.
            let shadow = try await server.send("PUT", "/v1/definitions/keep_alive", json: #"{"kind": "continuous", "func_name": "h"}"#)
            #expect(shadow.status == 409, "\(shadow.text)")
            #expect((shadow.object["detail"] as? String)?.contains("configuration file") == true)
            let fileDelete = try await server.send("DELETE", "/v1/definitions/cache_flush")
            #expect(fileDelete.status == 409)

            // Replace (keeps the switch), start, delete.
            let disabled = try await server.send("POST", "/v1/definitions/every_second/disable")
            #expect(disabled.object["enabled"] as? Bool == false)
            let replaced = try await server.send("PUT", "/v1/definitions/every_second", json: #"{"kind": "single_shot", "func_name": "errand.echo"}"#)
            #expect(replaced.status == 200, "\(replaced.text)")
            #expect(replaced.object["kind"] as? String == "single_shot")
            #expect(replaced.object["enabled"] as? Bool == false)
            #expect(replaced.object["created_at"] as? String == created.object["created_at"] as? String)
            let started = try await server.send("POST", "/v1/definitions/every_second/start")
            #expect(started.status == 201 && started.object["module"] as? String == "every_second", "\(started.text)")
            let deleted = try await server.send("DELETE", "/v1/definitions/every_second")
            #expect(deleted.status == 200 && deleted.object["name"] as? String == "every_second", "\(deleted.text)")
            let gone = try await server.send("GET", "/v1/definitions/every_second")
            #expect(gone.status == 404)
            let put = try await server.send("PUT", "/v1/definitions/fresh", json: #"{"kind": "single_shot", "func_name": "errand.echo"}"#)
            #expect(put.status == 200 && put.object["enabled"] as? Bool == true, "PUT creates: \(put.text)")
        }
    }
}
