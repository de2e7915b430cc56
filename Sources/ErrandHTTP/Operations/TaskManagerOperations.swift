import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// ScyllaDB's task manager API (`/task_manager/…`) over Errand's task trees, and the trees and modules of `/v1`.
///
/// Statuses are ScyllaDB's (`api/task_manager.cc`): an unknown task or module is 400 (its `bad_param_exception`), a
/// task that is not abortable 403, a wait past its timeout 408; errors are seastar's `{"message", "code"}`; abort
/// and drain answer an empty body (its `json_void`).
struct TaskManagerOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "listModules": listModules, "listModuleTasks": listModuleTasks, "taskStatus": taskStatus, "abortTask": abortTask,
            "waitTask": waitTask, "taskStatusRecursive": taskStatusRecursive, "getTTL": getTTL, "setTTL": setTTL,
            "getUserTTL": getUserTTL, "setUserTTL": setUserTTL, "drainModule": drainModule, "getTaskTree": getTaskTree,
            "listTreeModules": listTreeModules, "drainTreeModule": drainTreeModule,
        ]
    }

    @Sendable func listModules(_ request: APIRequest) async throws -> Response {
        .json(.array(try await services.client.modules().map { .string($0) }))
    }

    @Sendable func listModuleTasks(_ request: APIRequest) async throws -> Response {
        let module = request.path("module")
        var tasks = try await services.client.moduleTasks(module, internal: request.queryBool("internal") ?? false, limit: 10_000)
        // Only an empty answer asks whether the module exists: a module once used stays known, drained or not.
        if tasks.isEmpty { try await requireModule(module) }
        if let keyspace = request.queryString("keyspace") { tasks = tasks.filter { $0.keyspace == keyspace } }
        if let table = request.queryString("table") { tasks = tasks.filter { $0.table == table } }
        return .json(try await TaskManagerJSON.stats(of: tasks, client: services.client))
    }

    @Sendable func taskStatus(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        let tree = try await tree(of: id)
        guard let task = tree.tasks[id] else { throw Self.taskNotFound(id) }
        return .json(TaskManagerJSON.status(task, in: tree))
    }

    @Sendable func taskStatusRecursive(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        let tree = try await tree(of: id)
        return .json(.array(tree.breadthFirst(from: id).map { TaskManagerJSON.status($0, in: tree) }))
    }

    /// Aborts an unfinished task's tree; a finished one has nothing left to abort (200, as ScyllaDB's no-op abort).
    @Sendable func abortTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        guard let task = try await services.client.task(id) else { throw Self.taskNotFound(id) }
        guard task.isAbortable else { throw Problem(.forbidden, "not-abortable", "task with id \(id) is not abortable") }
        if !task.state.isFinal {
            do {
                try await services.client.abort(id)
            } catch let error as StoreError where error.code == .refused {
                // It finished meanwhile.
            }
        }
        return .empty()
    }

    /// The task's status once it (with its whole subtree) has finished; 408 when `timeout` seconds pass first, as
    /// ScyllaDB answers. Without a timeout ScyllaDB waits as long as it takes; Errand waits the server's longest
    /// wait, then answers 408 the same way.
    @Sendable func waitTask(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID("task_id")
        let timeout = min(request.queryNumber("timeout") ?? services.longestWait, services.longestWait)
        let task: TaskRecord
        do {
            task = try await services.client.wait(for: id, timeout: timeout)
        } catch let error as StoreError where error.code == .notFound {
            throw Self.taskNotFound(id)
        } catch is WaitTimeout {
            throw Problem(.requestTimeout, "timeout", "timedout: task with id \(id) did not finish in \(timeout.formatted()) s")
        }
        let tree = try await tree(of: task.id)
        return .json(TaskManagerJSON.status(tree.tasks[task.id] ?? task, in: tree))
    }

    /// The tree of `id`; an unknown task is 400, as ScyllaDB's `task_not_found` is.
    private func tree(of id: TaskID) async throws -> TaskTree {
        do {
            return try await services.client.tree(of: id)
        } catch let error as StoreError where error.code == .notFound {
            throw Self.taskNotFound(id)
        }
    }

    /// ScyllaDB's answer for an unknown task: 400 with its message.
    static func taskNotFound(_ id: TaskID) -> Problem { Problem(.badRequest, "not-found", "task with id \(id) not found") }

    /// 400 unless `module` is one the store knows (it has had tasks), as ScyllaDB's `find_module` refuses.
    private func requireModule(_ module: String) async throws {
        let modules = try await services.client.modules()
        guard modules.contains(module) else {
            throw Problem(
                .badRequest,
                "not-found",
                "module \(module) not found; modules: \(modules.isEmpty ? "none" : modules.joined(separator: ", "))"
            )
        }
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
        let ttl = request.queryNumber(user ? "user_ttl" : "ttl") ?? 0
        try await services.store.setTTL(Int(ttl), user: user, now: services.client.time.now)
        return .json(.int(Int(previous)))
    }

    /// The TTL in force: set at run time, or the server's configured one.
    private func currentTTL(user: Bool) async throws -> Double {
        try await services.store.ttl(user: user) ?? (user ? services.taskTTLs.user : services.taskTTLs.code)
    }

    /// Deletes the module's finished local trees; the module stays known (it lists as `[]`).
    @Sendable func drainModule(_ request: APIRequest) async throws -> Response {
        let module = request.path("module")
        try await requireModule(module)
        _ = try await services.client.drainModule(module)
        return .empty()
    }

    /// Errand's own listing of modules (`/v1/modules`).
    @Sendable func listTreeModules(_ request: APIRequest) async throws -> Response {
        .json(.object([("modules", .array(try await services.client.modules().map { .string($0) }))]))
    }

    /// Errand's own drain (`/v1/modules/{module}/drain`), which says how many tasks it deleted.
    @Sendable func drainTreeModule(_ request: APIRequest) async throws -> Response {
        .json(.object([("deleted", .int(try await services.client.drainModule(request.path("module"))))]))
    }

    @Sendable func getTaskTree(_ request: APIRequest) async throws -> Response {
        let id = try request.taskID()
        let tree = try await services.client.tree(of: id)
        return .json(.object([("tasks", .array(tree.breadthFirst(from: tree.root?.id ?? id).map(Representation.task)))]))
    }
}
