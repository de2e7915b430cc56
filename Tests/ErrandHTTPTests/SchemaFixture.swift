import ErrandCore
import ErrandTesting
import Foundation
import Testing

@testable import ErrandHTTP

/// A peer system's response schemas, written as JSON Schema definitions, that answers are checked against with the
/// server's own schema checker.
struct SchemaFixture: Sendable {
    let name: String
    let check: SchemaCheck

    /// Definitions by name (`text` is a JSON object of them), referred to as `#/components/schemas/NAME`.
    init(_ name: String, definitions text: String) {
        guard let parsed = try? ParsedJSON(Array(text.utf8)), case .object(let schemas) = ParsedJSON.json(parsed.root) else {
            preconditionFailure("the \(name) schemas do not parse")
        }
        self.name = name
        check = SchemaCheck(schemas: schemas)
    }

    /// Records an issue unless `answer`'s body is `definition` (or, with `array`, a list of them).
    func expect(_ answer: HTTPAnswer, is definition: String, array: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let parsed = try? ParsedJSON(Array(answer.body)) else {
            Issue.record("not JSON: \(answer.text)", sourceLocation: sourceLocation)
            return
        }
        var schema: JSONValue = .object(["$ref": .string("#/components/schemas/\(definition)")])
        if array { schema = .object(["type": .string("array"), "items": schema]) }
        let problem = check.problem(ParsedJSON.json(parsed.root), schema, at: definition)
        #expect(problem == nil, "\(name) \(definition): \(problem ?? ""): \(answer.text)", sourceLocation: sourceLocation)
    }
}
