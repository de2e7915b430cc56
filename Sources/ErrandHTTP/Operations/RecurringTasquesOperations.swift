import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// tasques' recurring tasks (`/recurring_tasques`) as a view of Errand's periodical definitions: one created here is
/// a definition kept in the store (``DefinitionCatalog``), launched by the leader's scheduler like any other; the
/// configuration file's periodical definitions are listed too, read-only.
struct RecurringTasquesOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "tasquesListRecurring": listRecurring, "tasquesCreateRecurring": createRecurring, "tasquesGetRecurring": getRecurring,
            "tasquesUpdateRecurring": updateRecurring, "tasquesDeleteRecurring": deleteRecurring,
        ]
    }

    @Sendable func listRecurring(_ request: APIRequest) async throws -> Response {
        let entries = try await DefinitionCatalog.read(services).entries.filter { $0.definition.kind == .periodical }
        return .json(.array(entries.map { Tasques.recurring($0.definition, stored: $0.stored) }))
    }

    @Sendable func getRecurring(_ request: APIRequest) async throws -> Response {
        let entry = try await named(request.path("id"))
        return .json(Tasques.recurring(entry.definition, stored: entry.stored))
    }

    @Sendable func createRecurring(_ request: APIRequest) async throws -> Response {
        let body = request.body
        let id = body.string("id") ?? ""
        let task = body.object("task_definition") ?? .empty
        let spec = try Tasques.recurringSpec(
            schedule: body.string("schedule_expression") ?? "",
            task: task,
            skipIfOutstanding: body.bool("skip_if_outstanding_tasks_exist") ?? false
        )
        if try await DefinitionCatalog.read(services).entries.contains(where: { $0.definition.name == id }) {
            throw Problem(.conflict, "id-in-use", "A Recurring Task with Id [\(id)] already exists")
        }
        let entry = try await put(id, spec: spec, replacing: false)
        return .json(Tasques.recurring(entry.definition, stored: entry.stored), status: .created)
    }

    /// Replaces what the body gives (the whole `task_definition`, the schedule, the skip flag) and keeps the rest.
    @Sendable func updateRecurring(_ request: APIRequest) async throws -> Response {
        let existing = try await named(request.path("id"))
        guard existing.stored != nil else { throw DefinitionCatalog.readOnly(existing.definition.name) }
        let body = request.body
        let current = try ParsedJSON(Array(OutputJSON.object(Tasques.taskDefinition(existing.definition)).text.utf8))
        let spec = try Tasques.recurringSpec(
            schedule: body.string("schedule_expression") ?? existing.definition.schedule?.expression ?? "",
            task: body.object("task_definition") ?? BodyObject(current),
            skipIfOutstanding: body.bool("skip_if_outstanding_tasks_exist") ?? existing.definition.skipIfOutstanding
        )
        let entry = try await put(existing.definition.name, spec: spec, replacing: true)
        return .json(Tasques.recurring(entry.definition, stored: entry.stored))
    }

    @Sendable func deleteRecurring(_ request: APIRequest) async throws -> Response {
        let entry = try await named(request.path("id"))
        guard entry.stored != nil else { throw DefinitionCatalog.readOnly(entry.definition.name) }
        guard try await services.store.deleteDefinition(entry.definition.name) else { throw Self.notFound(entry.definition.name) }
        return .json(Tasques.recurring(entry.definition, stored: entry.stored))
    }

    /// The periodical definition `id`, or tasques' 404.
    private func named(_ id: String) async throws -> DefinitionCatalog.Entry {
        guard let entry = try await DefinitionCatalog.read(services).entries.first(where: { $0.definition.name == id }),
            entry.definition.kind == .periodical
        else { throw Self.notFound(id) }
        return entry
    }

    /// Stores the definition, its problems named by tasques' fields, after creating its queue if need be.
    private func put(_ id: String, spec: String, replacing: Bool) async throws -> DefinitionCatalog.Entry {
        if let problem = DefinitionName.problem(id) { throw Problem.badRequest("id: \(problem)") }
        let definition: TaskDefinition
        do { definition = try DefinitionCatalog.read(id, spec: spec) } catch var problem as Problem {
            problem.detail = Self.tasquesNames(problem.detail, id)
            throw problem
        }
        if try await !services.client.queues().contains(where: { $0.name == definition.queue }) {
            try await TasquesOperations.createQueue(definition.queue, services)
        }
        return try await DefinitionCatalog.store(definition, spec: spec, replacing: replacing, services: services)
    }

    /// A definition problem (`tasks.ID.func_name: …`) in tasques' names (`task_definition.kind: …`).
    private static func tasquesNames(_ detail: String, _ id: String) -> String {
        let names = [
            "schedule": "schedule_expression", "func_name": "task_definition.kind", "handler": "task_definition.kind",
            "queue": "task_definition.queue", "priority": "task_definition.priority", "max_attempts": "task_definition.retry_times",
            "time_to_resolve": "task_definition.processing_timeout", "args": "task_definition.args", "meta": "task_definition.context",
        ]
        let prefix = "tasks.\(id)."
        guard detail.hasPrefix(prefix), let colon = detail.firstIndex(of: ":") else { return detail }
        let key = String(detail[detail.index(detail.startIndex, offsetBy: prefix.count)..<colon])
        return (names[key] ?? key) + detail[colon...]
    }

    private static func notFound(_ id: String) -> Problem { Problem.notFound("Could not find Recurring Task [\(id)]") }
}
