import Errand
import ErrandCore
import ErrandStore
import Foundation
import Graphiti

/// What every resolver of one GraphQL request reads: the API's services (its client over the store).
struct GraphQLContext: Sendable {
    let services: APIServices

    var client: ErrandClient { services.client }
}

/// The root fields' resolvers: each reads through the same client and rules as the REST operation it mirrors.
struct GraphQLResolver: Sendable {
    /// `tasks(…)`: the filters of `GET /v1/tasks`, by the same names.
    struct TasksArguments: Codable, Sendable {
        var queue: String?
        var state: [String]?
        var handler: String?
        var parentID: String?
        var module: String?
        var tag: String?
        var createdAfter: String?
        var createdBefore: String?
        var text: String?
        var idempotencyKey: String?
        var limit: Int?
        var after: String?
        var oldestFirst: Bool?
        var archived: Bool?

        enum CodingKeys: String, CodingKey {
            case queue, state, handler, module, tag, text, limit, after, archived
            case parentID = "parent_id"
            case createdAfter = "created_after"
            case createdBefore = "created_before"
            case idempotencyKey = "idempotency_key"
            case oldestFirst = "oldest_first"
        }

        /// The listing's query, read by the filter rules every listing shares (``TaskFilterName``).
        func query() throws -> TaskQuery {
            var query = TaskQuery(limit: min(max(limit ?? 50, 1), 1000), oldestFirst: oldestFirst ?? false, archived: archived ?? false)
            if let after {
                guard let cursor = TaskID(after) else { throw StoreError(.invalid, "after: \"\(after)\" is not a task id") }
                query.cursor = cursor
            }
            try query.setFilter { name in
                switch name {
                case .queue: queue.map { [$0] } ?? []
                case .state: state ?? []
                case .handler: handler.map { [$0] } ?? []
                case .parentID: parentID.map { [$0] } ?? []
                case .module: module.map { [$0] } ?? []
                case .tag: tag.map { [$0] } ?? []
                case .createdAfter: createdAfter.map { [$0] } ?? []
                case .createdBefore: createdBefore.map { [$0] } ?? []
                case .text: text.map { [$0] } ?? []
                case .idempotencyKey: idempotencyKey.map { [$0] } ?? []
                }
            }
            return query
        }
    }

    struct IDArguments: Codable, Sendable {
        var id: String

        func taskID() throws -> TaskID {
            guard let id = TaskID(id) else { throw StoreError(.invalid, "id: \"\(id)\" is not a task id") }
            return id
        }
    }

    struct WorkersArguments: Codable, Sendable {
        var state: [String]?
    }

    /// Nullable, as the fields whose arguments can be wrong are: a failure nulls this field only.
    func tasks(context: GraphQLContext, arguments: TasksArguments) async throws -> GraphQLTypes.TaskPage? {
        let page = try await context.client.list(try arguments.query())
        let takers = try await context.client.takers()
        return GraphQLTypes.TaskPage(
            tasks: page.tasks.map { GraphQLTypes.Task(record: $0, unknownTask: takers.cannotTake($0)) },
            nextCursor: page.nextCursor?.rawValue
        )
    }

    func task(context: GraphQLContext, arguments: IDArguments) async throws -> GraphQLTypes.Task? {
        guard let record = try await context.client.task(try arguments.taskID()) else { return nil }
        return GraphQLTypes.Task(record: record, unknownTask: try await context.client.takers().cannotTake(record))
    }

    func definitions(context: GraphQLContext, arguments: NoArguments) async throws -> [GraphQLTypes.Definition] {
        let disabled = try await context.client.store.disabledDefinitions()
        let now = context.client.time.now
        return try await DefinitionCatalog.read(context.services).entries.map { entry in
            let definition = entry.definition
            return GraphQLTypes.Definition(
                definition: definition,
                enabled: !disabled.contains(definition.name),
                source: entry.stored == nil ? "file" : "api",
                nextRuns: definition.nextRuns(after: now).map(\.iso8601)
            )
        }
    }

    func statistics(context: GraphQLContext, arguments: NoArguments) async throws -> GraphQLTypes.Statistics {
        let statuses = try await context.client.taskStatuses()
        return GraphQLTypes.Statistics(
            statuses: GraphQLTypes.Statuses(counts: statuses.all),
            definitions: statuses.definitions.map(GraphQLTypes.Statuses.init),
            leader: try await context.client.store.leader(now: context.client.time.now)
        )
    }

    func queues(context: GraphQLContext, arguments: NoArguments) async throws -> [GraphQLTypes.Queue] {
        let statistics = try await context.client.statistics()
        return try await context.client.queues().map { queue in
            GraphQLTypes.Queue(record: queue, counts: statistics.first { $0.queue == queue.name }?.counts ?? [:])
        }
    }

    func workers(context: GraphQLContext, arguments: WorkersArguments) async throws -> [GraphQLTypes.Worker]? {
        var states: [WorkerState] = []
        for text in arguments.state ?? [] {
            guard let state = WorkerState(rawValue: text) else {
                throw StoreError(
                    .invalid,
                    "state: \"\(text)\" is not a worker state (\(WorkerState.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            states.append(state)
        }
        return try await context.client.store.workers(states: states).map(GraphQLTypes.Worker.init)
    }

    /// The mutation root's `task`: Tarantool's namespace of task mutations.
    func taskMutations(context: GraphQLContext, arguments: NoArguments) -> GraphQLTypes.TaskMutations { GraphQLTypes.TaskMutations() }
}

extension GraphQLTypes.Task {
    /// `attempts`: the task's launch log, oldest first.
    func attempts(context: GraphQLContext, arguments: NoArguments) async throws -> [GraphQLTypes.Attempt] {
        try await context.client.attempts(of: record.id).map(GraphQLTypes.Attempt.init)
    }
}

extension GraphQLTypes.TaskMutations {
    /// Tarantool's `start(name, args)`: launches a definition (a single-shot one, usually) with its arguments or
    /// `args` (any JSON value), as `POST /v1/definitions/{name}/start` does.
    struct StartArguments: Codable, Sendable {
        var name: String
        var args: GraphQLTypes.JSON?
    }

    /// Answers the new task's id, a scalar as in Tarantool, so that `start(name: "…")` needs no selection. The
    /// mutations are nullable: one that fails is `null`, with its error, and the request's others stand.
    func start(context: GraphQLContext, arguments: StartArguments) async throws -> String? {
        let definition = try await DefinitionCatalog.read(context.services).named(arguments.name).definition
        let text = arguments.args?.text
        try definition.newTask(arguments: text).validate()
        return try await context.client.start(definition, arguments: text, byUser: true).id.rawValue
    }

    func cancel(context: GraphQLContext, arguments: GraphQLResolver.IDArguments) async throws -> GraphQLTypes.Task? {
        GraphQLTypes.Task(record: try await context.client.cancel(try arguments.taskID(), reason: "cancelled over GraphQL"), unknownTask: false)
    }

    func retry(context: GraphQLContext, arguments: GraphQLResolver.IDArguments) async throws -> GraphQLTypes.Task? {
        let task = try await context.client.retry(try arguments.taskID())
        return GraphQLTypes.Task(record: task, unknownTask: try await context.client.takers().cannotTake(task))
    }
}
