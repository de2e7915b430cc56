import ErrandCore
import Foundation
import Testing

@testable import ErrandHTTP

/// The document in `openapi.yaml` is the whole contract: complete, and using only rules the server enforces.
@Suite struct APIDocumentTests {
    @Test func theDocumentHasNoHolesAndEveryOperationARole() throws {
        // A YAML slip (an unquoted ", " inside a flow mapping) turns text into a key without a value: none may be null
        // (but a value an `enum` allows).
        func nulls(_ value: JSONValue, _ path: String) -> [String] {
            switch value {
            case .null: [path]
            case .array(let items) where path.hasSuffix("/enum"): items.enumerated().flatMap { $1 == .null ? [] : nulls($1, "\(path)/\($0)") }
            case .array(let items): items.enumerated().flatMap { nulls($1, "\(path)/\($0)") }
            case .object(let members): members.flatMap { nulls($1, "\(path)/\($0)") }
            default: []
            }
        }
        #expect(nulls(APIDocument.current.json, "").isEmpty)
        for route in APIDocument.current.routes { #expect(["public", "read", "admin"].contains(route.role), "\(route)") }
        let ids = APIDocument.current.routes.map(\.operationID)
        #expect(Set(ids).count == ids.count)
    }

    /// What the server answers on its own (auth, body checks) is in every operation's responses.
    @Test func everyOperationListsTheAnswersTheServerGivesForAll() throws {
        guard case .object(let document) = APIDocument.current.json, case .object(let paths)? = document["paths"] else {
            Issue.record("no paths")
            return
        }
        var checked = 0
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (method, spec) in methods {
                guard case .object(let operation) = spec, case .object(let responses)? = operation["responses"] else { continue }
                var wanted: [String] = []
                if operation["x-errand-role"] != .string("public") { wanted += ["401", "403"] }
                if operation["requestBody"] != nil { wanted += ["400", "413"] }
                for status in wanted { #expect(responses[status] != nil, "\(method.uppercased()) \(path) does not list \(status)") }
                checked += 1
            }
        }
        #expect(checked == APIDocument.current.routes.count)
    }

    @Test func theDocumentUsesOnlyKeywordsTheCheckerEnforces() throws {
        #expect(SchemaCheck.unsupportedKeyword(in: APIDocument.current.json) == nil)
    }

    @Test(arguments: [
        ("oneOf: [{type: string}, {type: integer}]", "components.schemas.Name uses the schema keyword oneOf"),
        ("type: string\n      format: email", "components.schemas.Name uses the format email"),
        (
            "type: object\n      properties:\n        n: {type: integer, multipleOf: 2}",
            "components.schemas.Name.properties.n uses the schema keyword multipleOf"
        ),
    ])
    func aKeywordTheCheckerDoesNotImplementIsRefused(schema: String, message: String) throws {
        let yaml = """
            openapi: 3.1.0
            info: {title: t, version: '1'}
            paths: {}
            components:
              schemas:
                Name:
                  \(schema)
            """
        #expect {
            _ = try APIDocument(yaml: yaml)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func anyOfAcceptsAValueMatchingOneBranchAndRefusesOneMatchingNone() throws {
        let check = SchemaCheck(schemas: [:])
        let schema: JSONValue = .object(["anyOf": .array([.object(["type": .string("null")]), .object(["type": .string("string")])])])
        #expect(check.problem(.string("x"), schema, at: "v") == nil)
        #expect(check.problem(.null, schema, at: "v") == nil)
        #expect(check.problem(.number(1), schema, at: "v") == "v: matches none of 2 allowed forms (v: must be a null, got the number 1)")
    }
}
