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
            "enqueueTask": enqueueTask, "enqueueTasks": enqueueTasks, "listTasks": listTasks, "getTask": getTask,
            "listAttempts": listAttempts, "waitForTask": waitForTask, "cancelTask": cancelTask, "retryTask": retryTask,
        ]
    }

    @Sendable func enqueueTask(_ request: APIRequest) async throws -> Response {
        let task = try Self.newTask(request.body)
        try await parentsExist([task])
        let result = try await services.client.enqueue(task)
        return .json(Representation.task(result.task), status: result.isNew ? .created : .ok)
    }

    @Sendable func enqueueTasks(_ request: APIRequest) async throws -> Response {
        var tasks: [NewTask] = []
        for (index, object) in request.body.objects("tasks").enumerated() {
            do { tasks.append(try Self.newTask(object)) } catch let problem as Problem {
                throw Problem.badRequest("tasks[\(index)].\(problem.detail)")
            }
        }
        try await parentsExist(tasks)
        let results = try await services.client.enqueue(tasks)
        return .json(
            .object([("results", .array(results.map { .object([("created", .bool($0.isNew)), ("task", Representation.task($0.task))]) }))]),
            status: .created
        )
    }

    @Sendable func listTasks(_ request: APIRequest) async throws -> Response {
        let query = TaskQuery(
            queue: request.queryString("queue"),
            states: request.queryStrings("state").compactMap(TaskState.init(rawValue:)),
            handler: request.queryString("handler"),
            parentID: request.queryString("parent_id").flatMap(TaskID.init),
            module: request.queryString("module"),
            rootsOnly: request.queryBool("roots_only") ?? false,
            includeInternal: request.queryBool("include_internal") ?? true,
            includeFolded: request.queryBool("include_folded") ?? false,
            limit: request.queryNumber("limit").map { Int($0) } ?? 100,
            cursor: request.queryString("cursor").flatMap(TaskID.init)
        )
        let page = try await services.client.list(query)
        return .json(
            .object([("tasks", .array(page.tasks.map(Representation.task))), ("next_cursor", .nullable(page.nextCursor?.rawValue))])
        )
    }

    @Sendable func getTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        guard let task = try await services.client.task(id) else { throw StoreError.notFound(id) }
        return .json(Representation.task(task))
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

    @Sendable func retryTask(_ request: APIRequest) async throws -> Response {
        .json(Representation.task(try await services.client.retry(try request.taskID())))
    }

    /// 404 for a `parent_id` that names no task (the store checks again as it stores).
    private func parentsExist(_ tasks: [NewTask]) async throws {
        for parent in Set(tasks.compactMap(\.parentID)) where try await services.client.task(parent) == nil {
            throw Problem.notFound("parent_id: no task with id \(parent)")
        }
    }

    /// A task to enqueue from a (checked) `NewTask` object; the rules the document cannot say are checked here.
    static func newTask(_ body: BodyObject) throws -> NewTask {
        var task = NewTask(handler: body.string("handler") ?? "")
        if let arguments = body.rawJSON("arguments") { task.arguments = arguments }
        if let queue = body.string("queue") { task.queue = queue }
        if let priority = body.int("priority") { task.priority = priority }
        if let runAt = body.string("run_at") { task.runAt = RFC3339.date(runAt) }
        if let retry = body.object("retry") { task.retry = retryPolicy(retry) }
        if let ttr = body.double("time_to_resolve") { task.timeToResolve = ttr }
        task.idempotencyKey = body.string("idempotency_key")
        task.parentID = body.string("parent_id").flatMap(TaskID.init)
        task.module = body.string("module")
        task.tags = body.strings("tags")
        task.name = body.string("name")
        task.timeout = body.double("timeout")
        task.isInternal = body.bool("internal") ?? false
        task.type = body.string("type")
        task.scope = body.string("scope")
        task.entity = body.string("entity")
        task.keyspace = body.string("keyspace")
        task.table = body.string("table")
        task.progressUnits = body.string("progress_units")
        task.locality = body.string("locality").flatMap(TaskLocality.init(rawValue:)) ?? .local
        task.isAbortable = body.bool("abortable") ?? true
        // Over HTTP a task is a user's unless the caller says otherwise (its finished root is kept for the user TTL).
        task.isUserTask = body.bool("user_task") ?? true
        task.targetWorker = body.string("target_worker")
        do {
            try task.validate()
        } catch {
            throw Problem.badRequest(error.description)
        }
        return task
    }

    static func retryPolicy(_ body: BodyObject) -> RetryPolicy {
        var policy = RetryPolicy.default
        if let value = body.int("max_attempts") { policy.maxAttempts = value }
        if let value = body.double("delay") { policy.delay = value }
        if let value = body.double("delay_factor") { policy.delayFactor = value }
        if let value = body.double("max_delay") { policy.maxDelay = value }
        if let value = body.double("jitter") { policy.jitter = value }
        if let value = body.int("priority_decrement") { policy.priorityDecrement = value }
        return policy
    }
}
