import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// `GET /v1/observers` and `GET /v1/observers/{name}`: riaktq's observers (the configuration file's `observers:`),
/// with their query, schedule and newest reports.
struct ObserverOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] { ["listObservers": listObservers, "getObserver": getObserver] }

    @Sendable func listObservers(_ request: APIRequest) async throws -> Response {
        var observers: [OutputJSON] = []
        for definition in await observerDefinitions() { observers.append(try await representation(definition)) }
        return .json(.object([("observers", .array(observers))]))
    }

    @Sendable func getObserver(_ request: APIRequest) async throws -> Response {
        let name = request.path("name")
        guard let definition = await observerDefinitions().first(where: { $0.name == Observer.definitionPrefix + name }) else {
            throw Problem.notFound("no observer named \(name)")
        }
        return .json(try await representation(definition))
    }

    private func observerDefinitions() async -> [TaskDefinition] {
        await services.definitions().filter { $0.handler == Observer.handler && $0.name.hasPrefix(Observer.definitionPrefix) }
    }

    /// An observer: its name, query, schedule, next runs and reports, newest first.
    private func representation(_ definition: TaskDefinition) async throws -> OutputJSON {
        let query = try? JSONDecoder().decode(Observer.Query.self, from: Data(definition.arguments.utf8))
        let runs = try await services.client.list(TaskQuery(handler: Observer.handler, module: definition.name, limit: query?.keep ?? 10))
        return .object([
            ("name", .string(String(definition.name.dropFirst(Observer.definitionPrefix.count)))),
            ("definition", .string(definition.name)),
            ("query", .stored(definition.arguments)),
            ("schedule", .nullable(definition.schedule?.description)),
            ("time_zone", .string(definition.timeZone)),
            ("next_runs", .array(definition.nextRuns(after: services.client.time.now).map { .date($0) })),
            ("reports", .array(runs.tasks.map(Representation.observerReport))),
        ])
    }
}
