import ErrandCore
import ErrandStore
import Foundation
import GraphQL
import Graphiti
import Hummingbird

/// `POST /admin/api` (where Tarantool's cartridge serves its GraphQL API) and `POST /graphql`: one GraphQL request
/// (`query`, `variables`, `operationName`), answered as `{"data": …, "errors": […]}`.
///
/// Tokens and roles are the REST API's: a `read` token runs queries, a mutation needs an `admin` token (403
/// otherwise, nothing done). A request whose document does not parse or validate is 400 with its GraphQL errors; a
/// field that fails as it runs (an unknown definition, a finished task to cancel) is 200 with `data` and `errors`,
/// as GraphQL answers.
struct GraphQLOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] { ["graphql": execute, "graphqlAdminAPI": execute] }

    @Sendable func execute(_ request: APIRequest) async throws -> Response {
        let query = request.body.string("query") ?? ""
        let operationName = request.body.string("operationName")
        let variables = try Self.variables(request.body)
        let document: Document
        do {
            document = try parse(source: query)
        } catch let error as GraphQLError {
            return Self.answer(GraphQLResult(errors: [error]), status: .badRequest)
        }
        let invalid = validate(schema: GraphQLAPI.shared.schema.schema, ast: document)
        if !invalid.isEmpty { return Self.answer(GraphQLResult(errors: invalid), status: .badRequest) }
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        let chosen = operationName.map { name in operations.first { $0.name?.value == name } } ?? (operations.count == 1 ? operations.first : nil)
        guard let chosen else {
            let problem =
                operationName.map { "the document has no operation named \"\($0)\"" }
                ?? "the document has several operations; name one in operationName"
            return Self.answer(GraphQLResult(errors: [GraphQLError(message: problem)]), status: .badRequest)
        }
        if chosen.operation == .mutation, request.role < .admin {
            throw Problem(.forbidden, "forbidden", "a GraphQL mutation needs an admin token; the token given is a \(request.role.rawValue) token")
        }
        let result = try await GraphQLAPI.shared.execute(
            request: query,
            context: GraphQLContext(services: services),
            variables: variables,
            operationName: operationName
        )
        return Self.answer(result, status: .ok)
    }

    /// The request's `variables` (an object, or absent or null).
    private static func variables(_ body: BodyObject) throws -> [String: Map] {
        guard !body.isNull("variables"), let text = body.rawJSON("variables") else { return [:] }
        do {
            return try JSONDecoder().decode([String: Map].self, from: Data(text.utf8))
        } catch {
            throw Problem.badRequest("variables: must be an object of JSON values")
        }
    }

    private static func answer(_ result: GraphQLResult, status: HTTPResponse.Status) -> Response {
        let text =
            (try? GraphQLJSONEncoder().encode(result)).map { String(decoding: $0, as: UTF8.self) }
            ?? #"{"errors":[{"message":"unencodable answer"}]}"#
        return .json(.raw(text), status: status)
    }
}
