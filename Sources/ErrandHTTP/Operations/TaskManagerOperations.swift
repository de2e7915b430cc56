import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// ScyllaDB's task manager API (`/task_manager/…`) over Errand's task trees, and the trees and modules of `/v1`.
struct TaskManagerOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "listModules": listModules, "listModuleTasks": listModuleTasks, "taskStatus": taskStatus, "abortTask": abortTask,
            "waitTask": waitTask, "taskStatusRecursive": taskStatusRecursive, "getTTL": getTTL, "setTTL": setTTL,
            "getUserTTL": getUserTTL, "setUserTTL": setUserTTL, "drainModule": drainModule, "getTaskTree": getTaskTree,
        ]
    }

    @Sendable func listModules(_ request: APIRequest) async throws -> Response {
        .json(.array(try await services.client.modules().map { .string($0) }))
    }

    @Sendable func listModuleTasks(_ request: APIRequest) async throws -> Response {
        let module = request.path("module")
        var tasks = try await services.client.moduleTasks(module, internal: request.queryBool("internal") ?? false, limit: 10_000)
        // Only an empty answer asks whether the module exists (a scan of every module).
        if tasks.isEmpty, case let modules = try await services.client.modules(), !modules.contains(module) {
            throw Problem.notFound("no module named \(module); modules: \(modules.isEmpty ? "none" : modules.joined(separator: ", "))")
        }
        if let keyspace = request.queryString("keyspace") { tasks = tasks.filter { $0.keyspace == keyspace } }
        if let table = request.queryString("table") { tasks = tasks.filter { $0.table == table } }
        return .json(try await TaskManagerJSON.stats(of: tasks, client: services.client))
    }

    @Sendable func taskStatus(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        let tree = try await services.client.tree(of: id)
        guard let task = tree.tasks[id] else { throw StoreError.notFound(id) }
        return .json(TaskManagerJSON.status(task, in: tree))
    }

    @Sendable func taskStatusRecursive(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        let tree = try await services.client.tree(of: id)
        return .json(.array(tree.breadthFirst(from: id).map { TaskManagerJSON.status($0, in: tree) }))
    }

    @Sendable func abortTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        try await services.client.abort(id)
        let tree = try await services.client.tree(of: id)
        guard let task = tree.tasks[id] else { throw StoreError.notFound(id) }
        return .json(TaskManagerJSON.status(task, in: tree))
    }

    /// The task's status once it has finished, or when the timeout passes first (its state then says `created` or
    /// `running`), as the issue's wait says: block, then answer the status.
    @Sendable func waitTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        let timeout = min(request.queryNumber("timeout") ?? services.longestWait, services.longestWait)
        let task: TaskRecord
        do {
            task = try await services.client.wait(for: id, timeout: timeout)
        } catch let waited as WaitTimeout {
            task = waited.task
        }
        let tree = try await services.client.tree(of: task.id)
        return .json(TaskManagerJSON.status(tree.tasks[task.id] ?? task, in: tree))
    }

    @Sendable func getTTL(_ request: APIRequest) async throws -> Response {
        .json(.int(Int(try await currentTTL(user: false))))
    }

    @Sendable func getUserTTL(_ request: APIRequest) async throws -> Response {
        .json(.int(Int(try await currentTTL(user: true))))
    }

    @Sendable func setTTL(_ request: APIRequest) async throws -> Response { try await setTTL(request, user: false) }

    @Sendable func setUserTTL(_ request: APIRequest) async throws -> Response { try await setTTL(request, user: true) }

    /// Sets a TTL for every node and answers the one it replaces, as ScyllaDB does.
    private func setTTL(_ request: APIRequest, user: Bool) async throws -> Response {
        let previous = try await currentTTL(user: user)
        try await services.store.setTTL(Int(request.queryNumber("ttl") ?? 0), user: user, now: services.client.time.now)
        return .json(.int(Int(previous)))
    }

    /// The TTL in force: set at run time, or the server's configured one.
    private func currentTTL(user: Bool) async throws -> Double {
        try await services.store.ttl(user: user) ?? (user ? services.taskTTLs.user : services.taskTTLs.code)
    }

    @Sendable func drainModule(_ request: APIRequest) async throws -> Response {
        let deleted = try await services.client.drainModule(request.path("module"))
        return .json(.object([("deleted", .int(deleted))]))
    }

    @Sendable func getTaskTree(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        let tree = try await services.client.tree(of: id)
        return .json(.object([("tasks", .array(tree.breadthFirst(from: tree.root?.id ?? id).map(Representation.task)))]))
    }
}
