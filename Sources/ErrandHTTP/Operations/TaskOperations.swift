import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// Enqueue, read, wait for, cancel and retry tasks.
struct TaskOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "enqueueTask": enqueueTask, "enqueueTasks": enqueueTasks, "listTasks": listTasks, "countTasks": countTasks, "bulkTasks": bulkTasks,
            "getTask": getTask,
            "listAttempts": listAttempts, "waitForTask": waitForTask, "cancelTask": cancelTask, "retryTask": retryTask,
            "deleteTask": deleteTask,
        ]
    }

    @Sendable func enqueueTask(_ request: APIRequest) async throws -> Response {
        let task = try Representation.newTask(from: request.body)
        try await parentsExist([task])
        let result = try await services.client.enqueue(task)
        return .json(Representation.task(result.task), status: result.isNew ? .created : .ok)
    }

    @Sendable func enqueueTasks(_ request: APIRequest) async throws -> Response {
        var tasks: [NewTask] = []
        for (index, object) in request.body.objects("tasks").enumerated() {
            do { tasks.append(try Representation.newTask(from: object)) } catch let problem as Problem {
                throw Problem.badRequest("tasks[\(index)].\(problem.detail)")
            }
        }
        try await parentsExist(tasks)
        let results = try await services.client.enqueue(tasks, intoSuspendedQueues: request.body.bool("into_suspended_queues") ?? false)
        return .json(
            .object([("results", .array(results.map { .object([("created", .bool($0.isNew)), ("task", Representation.task($0.task))]) }))]),
            status: .created
        )
    }

    /// The task filters of the list and the count (and the cursor and page size of the list).
    private func taskQuery(_ request: APIRequest) throws -> TaskQuery {
        var query = TaskQuery(
            rootsOnly: request.queryBool("roots_only") ?? false,
            includeInternal: request.queryBool("include_internal") ?? true,
            includeFolded: request.queryBool("include_folded") ?? false,
            limit: request.queryNumber("limit").map { Int($0) } ?? 100,
            cursor: request.queryString("cursor").flatMap(TaskID.init),
            oldestFirst: request.queryString("order") == "oldest",
            archived: request.queryBool("archived") ?? false
        )
        try query.setFilter { name in
            name == .state ? request.queryStrings(name.rawValue) : request.queryString(name.rawValue).map { [$0] } ?? []
        }
        return query
    }

    @Sendable func countTasks(_ request: APIRequest) async throws -> Response {
        let cap = request.queryNumber("up_to").map { Int($0) } ?? 10_000
        let count = try await services.client.store.count(try taskQuery(request), upTo: cap)
        return .json(.object([("count", .int(min(count, cap))), ("more", .bool(count > cap))]))
    }

    @Sendable func bulkTasks(_ request: APIRequest) async throws -> Response {
        let kind = BulkAction.Kind(rawValue: request.body.string("action") ?? "") ?? .retry
        let filter = request.body.object("filter") ?? .empty
        var query = TaskQuery()
        try query.setFilter { name in name == .state ? filter.strings(name.rawValue) : filter.string(name.rawValue).map { [$0] } ?? [] }
        // The document refuses a filter without a member (minProperties), so an action on every task never gets here.
        let result = try await services.client.enqueue(BulkAction(kind, filter: query).newTask())
        return .json(Representation.task(result.task), status: .accepted)
    }

    @Sendable func listTasks(_ request: APIRequest) async throws -> Response {
        let query = try taskQuery(request)
        let page = try await services.client.list(query)
        let takers = try await services.client.takers()
        return .json(
            .object([
                ("tasks", .array(page.tasks.map { Representation.task($0, takers: takers) })), ("next_cursor", .nullable(page.nextCursor?.rawValue)),
            ])
        )
    }

    @Sendable func getTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        guard let task = try await services.client.task(id) else { throw StoreError.notFound(id) }
        return .json(Representation.task(task, takers: try await services.client.takers()))
    }

    @Sendable func listAttempts(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        guard try await services.client.task(id) != nil else { throw StoreError.notFound(id) }
        let attempts = try await services.client.attempts(of: id)
        return .json(.object([("attempts", .array(attempts.map(Representation.attempt)))]))
    }

    @Sendable func waitForTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        do {
            let task = try await services.client.wait(for: id, timeout: min(request.queryNumber("timeout") ?? 30, services.longestWait))
            return .json(Representation.task(task))
        } catch let timeout as WaitTimeout {
            return .json(Representation.task(timeout.task))
        }
    }

    @Sendable func cancelTask(_ request: APIRequest) async throws -> Response {
        let task = try await services.client.cancel(try request.taskID(), reason: request.body.string("reason"))
        return .json(Representation.task(task))
    }

    @Sendable func deleteTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        let deleted = try await services.client.store.delete(id)
        return .json(.object([("id", .string(id.rawValue)), ("deleted_tasks", .int(deleted))]))
    }

    @Sendable func retryTask(_ request: APIRequest) async throws -> Response {
        .json(Representation.task(try await services.client.retry(try request.taskID())))
    }

    /// 404 for a `parent_id` that names no task (the store checks again as it stores).
    private func parentsExist(_ tasks: [NewTask]) async throws {
        for parent in Set(tasks.compactMap(\.parentID)) where try await services.client.task(parent) == nil {
            throw Problem(.notFound, Problem.unknownParent, "parent_id: no task with id \(parent)")
        }
    }

}
