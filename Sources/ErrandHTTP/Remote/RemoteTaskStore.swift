import Errand
public import ErrandCore
public import ErrandStore
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``ClientStore`` that is an Errand server's HTTP API: what `errand --server URL task …` uses, so that operators
/// manage a remote cluster from a laptop, and what a Swift program can give ``ErrandClient`` to do the same.
///
/// Tasks, queues, workers, statistics, dead letters and leases (claim, heartbeat, finish, unclaim) go over HTTP: what
/// the API offers, and no more. What only a node on the store does (the scheduler's slots, rescue, pruning,
/// leadership, the worker registry's writes, the change log) is not part of ``ClientStore``. Server problems become
/// the store errors they stand for (404 → `.notFound`, 409 → `.refused`, …), with the server's message.
public struct RemoteTaskStore: ClientStore {
    let api: RemoteAPI

    /// - Parameters:
    ///   - url: the server's base URL, e.g. `https://errand.internal:8443`.
    ///   - token: a bearer token (`read` for reading, `admin` for changes), or `nil` for a server without auth.
    public init(url: String, token: String?) throws {
        guard let base = URL(string: url), let scheme = base.scheme, ["http", "https"].contains(scheme), base.host != nil else {
            throw StoreError(.invalid, "--server: \"\(url)\" is not an http:// or https:// URL")
        }
        api = RemoteAPI(base: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token)
    }

    public func enqueue(_ tasks: [NewTask], now: Date, intoSuspendedQueues: Bool) async throws -> [EnqueueResult] {
        // Checked here as the store would: arguments that are not JSON cannot even be sent.
        for (index, task) in tasks.enumerated() {
            do { try task.validate() } catch { throw StoreError.invalid(error, index: tasks.count > 1 ? index : nil) }
        }
        var members: [(String, OutputJSON)] = [("tasks", .array(tasks.map(Representation.newTask)))]
        if intoSuspendedQueues { members.append(("into_suspended_queues", .bool(true))) }
        let body = try await api.call("POST", "/v1/tasks/batch", body: .object(members))
        return try ShapeReader(body, "enqueue answer").list("results") { item in
            let read = ShapeReader(item, "enqueue result")
            let task = try Representation.task(from: try read.object("task"))
            return try read.bool("created") ? .created(task) : .existing(task)
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        do {
            return try Representation.task(from: try await api.call("GET", "/v1/tasks/\(id)"))
        } catch let error as StoreError where error.code == .notFound {
            return nil
        }
    }

    public func attempts(of id: TaskID) async throws -> [Attempt] {
        do {
            let answer = try await api.call("GET", "/v1/tasks/\(id)/attempts")
            return try ShapeReader(answer, "attempt list").list("attempts", Representation.attempt(from:))
        } catch let error as StoreError where error.code == .notFound {
            return []
        }
    }

    /// The query string of a task list or count: `query`'s filters, and its cursor when listing.
    private static func parameters(_ query: TaskQuery) -> [(String, String)] {
        var parameters = query.filterMembers.flatMap { member in member.values.map { (member.name.rawValue, $0) } }
        if query.oldestFirst { parameters.append(("order", "oldest")) }
        if query.rootsOnly { parameters.append(("roots_only", "true")) }
        if !query.includeInternal { parameters.append(("include_internal", "false")) }
        if query.archived { parameters.append(("archived", "true")) }
        if query.includeFolded { parameters.append(("include_folded", "true")) }
        return parameters
    }

    public func count(_ query: TaskQuery, upTo limit: Int) async throws -> Int {
        let cap = min(1_000_000, max(1, limit))
        let body = try await api.call("GET", "/v1/tasks/count", query: Self.parameters(query) + [("up_to", String(cap))])
        let reader = ShapeReader(body, "task count")
        let count = try reader.int("count")
        return try reader.bool("more") ? count + 1 : count
    }

    public func list(_ query: TaskQuery) async throws -> TaskPage {
        var parameters = Self.parameters(query)
        if let cursor = query.cursor { parameters.append(("cursor", cursor.rawValue)) }
        parameters.append(("limit", String(min(1000, max(1, query.limit)))))
        let body = try await api.call("GET", "/v1/tasks", query: parameters)
        return TaskPage(
            tasks: try ShapeReader(body, "task list").list("tasks", Representation.task(from:)),
            nextCursor: body.string("next_cursor").flatMap(TaskID.init)
        )
    }

    public func statistics() async throws -> [QueueStatistics] {
        try ShapeReader(try await api.call("GET", "/v1/statistics"), "statistics").list("queues") { item in
            let read = ShapeReader(item, "queue statistics")
            return QueueStatistics(queue: try read.string("queue"), counts: Representation.counts(from: try read.object("counts")))
        }
    }

    public func taskStatuses(now: Date) async throws -> TaskStatuses {
        try Representation.taskStatuses(from: try await api.call("GET", "/v1/statistics"))
    }

    public func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord {
        try Representation.task(from: try await api.call("POST", "/v1/tasks/\(id)/cancel", body: .object([("reason", .nullable(reason))])))
    }

    public func tree(of id: TaskID) async throws -> [TaskRecord] {
        try ShapeReader(try await api.call("GET", "/v1/tasks/\(id)/tree"), "tree").list("tasks", Representation.task(from:))
    }

    public func modules() async throws -> [String] {
        ShapeReader(try await api.call("GET", "/v1/modules"), "module list").object.strings("modules")
    }

    public func drainModule(_ module: String) async throws -> Int {
        try ShapeReader(try await api.call("POST", "/v1/modules/\(RemoteAPI.segment(module))/drain"), "drain answer").int("deleted")
    }

    /// The TTL in force on the server for finished trees (`user` for those a user started): the one set at run time,
    /// or the server's configured one (ScyllaDB's `GET /task_manager/ttl`).
    public func ttlInForce(user: Bool = false) async throws -> Double {
        guard case .number(let seconds) = try await api.value("GET", Self.ttlPath(user: user)).root.kind else {
            throw StoreError(.corrupt, "the server's answer is not the documented number of seconds")
        }
        return seconds
    }

    /// Sets the TTL of finished trees (`user` for those a user started) for every node of the server's store.
    public func setTTL(_ seconds: Int, user: Bool = false) async throws {
        _ = try await api.value("POST", Self.ttlPath(user: user), query: [(user ? "user_ttl" : "ttl", String(seconds))])
    }

    private static func ttlPath(user: Bool) -> String { user ? "/task_manager/user_ttl" : "/task_manager/ttl" }

    public func delete(_ id: TaskID) async throws -> Int {
        try ShapeReader(try await api.call("DELETE", "/v1/tasks/\(id)"), "task deletion").int("deleted_tasks")
    }

    public func retry(_ id: TaskID, now: Date) async throws -> TaskRecord {
        try Representation.task(from: try await api.call("POST", "/v1/tasks/\(id)/retry"))
    }

    public func createQueue(_ name: String, retryPriorityDecrement: Int, now: Date) async throws -> QueueRecord {
        let body: OutputJSON = .object([("name", .string(name)), ("retry_priority_decrement", .int(retryPriorityDecrement))])
        return try Representation.queue(from: try await api.call("POST", "/v1/queues", body: body))
    }

    public func queues() async throws -> [QueueRecord] {
        try ShapeReader(try await api.call("GET", "/v1/queues"), "queue list").list("queues", Representation.queue(from:))
    }

    public func setQueueState(_ name: String, to state: QueueState, now: Date) async throws -> QueueRecord {
        let action = state == .active ? "resume" : "suspend"
        return try Representation.queue(from: try await api.call("POST", "/v1/queues/\(RemoteAPI.segment(name))/\(action)"))
    }

    public func deleteQueue(_ name: String) async throws -> Int {
        try ShapeReader(try await api.call("DELETE", "/v1/queues/\(RemoteAPI.segment(name))"), "queue deletion").int("deleted_tasks")
    }

    public func workers(states: [WorkerState]) async throws -> [WorkerRecord] {
        let answer = try await api.call("GET", "/v1/workers", query: states.map { ("state", $0.rawValue) })
        return try ShapeReader(answer, "worker list").list("workers", Representation.worker(from:))
    }

    public func finishedPerMinute(minutes: Int, now: Date) async throws -> [FinishedMinute] {
        let minutes = String(min(max(minutes, 1), FinishedMinute.maximumMinutes))
        let answer = try await api.call("GET", "/v1/statistics/finished", query: [("minutes", minutes)])
        return try ShapeReader(answer, "finished statistics").list("minutes", Representation.finishedMinute(from:))
    }

    public func tasksHeld() async throws -> [String: Int] {
        let held = try ShapeReader(try await api.call("GET", "/v1/workers", query: [("state", "running")]), "worker list").object("tasks_held")
        var counts: [String: Int] = [:]
        for name in held.members.keys {
            guard let count = held.int(name) else { throw ShapeReader(held, "tasks_held").failure(name) }
            counts[name] = count
        }
        return counts
    }

    public func leader(now: Date) async throws -> String? {
        try await api.call("GET", "/v1/statistics").string("leader")
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        let answer = try await api.call("GET", "/v1/dead-letters", query: [("limit", String(min(1000, max(1, limit))))])
        return try ShapeReader(answer, "dead letter list").list("dead_letters", Representation.deadLetter(from:))
    }

    public func redrive(_ id: String, body: String?, now: Date) async throws -> TaskRecord {
        try Representation.task(
            from: try await api.call("POST", "/v1/dead-letters/\(RemoteAPI.segment(id))/redrive", body: .object([("body", .nullable(body))]))
        )
    }

    // MARK: leases

    public func claim(_ request: ClaimRequest) async throws -> [TaskRecord] {
        guard request.limit > 0 else { return [] }
        let body = OutputJSON.object([
            ("worker", .string(request.worker)), ("queues", .array(request.queues.map { .string($0) })),
            ("handlers", .array(request.handlers.map { .string($0) })), ("max", .int(min(1000, request.limit))),
            ("tags", .array(request.tags.map { .string($0) })),
        ])
        return try ShapeReader(try await api.call("POST", "/v1/claims", body: body), "claim").list("tasks", Representation.task(from:))
    }

    public func heartbeat(_ leases: [Lease], now: Date) async throws -> [Lease] {
        var held: [Lease] = []
        for lease in leases {
            do {
                _ = try await api.call("POST", "/v1/tasks/\(lease.taskID)/heartbeat", body: Self.lease(lease))
                held.append(lease)
            } catch let error as StoreError where error.code == .refused || error.code == .notFound {
                continue
            }
        }
        return held
    }

    public func reportProgress(_ lease: Lease, completed: Double, total: Double?, now: Date) async throws -> Bool {
        let progress = OutputJSON.object([("completed", .number(completed)), ("total", .number(total))])
        do {
            _ = try await api.call("POST", "/v1/tasks/\(lease.taskID)/heartbeat", body: Self.lease(lease, [("progress", progress)]))
            return true
        } catch let error as StoreError where error.code == .refused || error.code == .notFound {
            return false
        }
    }

    public func finish(_ finishes: [Finish], now: Date) async throws -> [FinishResult] {
        var results: [FinishResult] = []
        for finish in finishes {
            let path = "/v1/tasks/\(finish.lease.taskID)/\(finish.outcome == .succeeded ? "complete" : "fail")"
            var members: [(String, OutputJSON)] = []
            if finish.outcome == .succeeded {
                if let result = finish.result { members.append(("result", .raw(result))) }
                members.append(("message", .nullable(finish.message)))
            } else {
                members += [
                    ("outcome", .string(finish.outcome.rawValue)), ("message", .string(finish.message ?? finish.outcome.rawValue)),
                    ("retryable", .bool(finish.retryable)),
                ]
            }
            if !finish.followUps.isEmpty {
                for (index, task) in finish.followUps.enumerated() {
                    do { try task.validate() } catch { throw StoreError.invalid(error, index: index) }
                }
                members.append(("follow_ups", .array(finish.followUps.map(Representation.newTask))))
            }
            let body = Self.lease(finish.lease, members)
            do {
                results.append(.applied(task: try Representation.task(from: try await api.call("POST", path, body: body)), attempt: nil))
            } catch let error as StoreError where error.code == .refused {
                results.append(
                    .refused(
                        TransitionRefusal(code: .leaseNotHeld, taskID: finish.lease.taskID, state: .running, event: "finish", reason: error.message)
                    )
                )
            } catch let error as StoreError where error.code == .notFound {
                results.append(.notFound(finish.lease.taskID))
            }
        }
        return results
    }

    /// A lease as request members (`worker`, `attempt`), with `more`.
    private static func lease(_ lease: Lease, _ more: [(String, OutputJSON)] = []) -> OutputJSON {
        .object([("worker", .string(lease.worker)), ("attempt", .int(lease.attempt))] + more)
    }

    public func unclaim(_ lease: Lease, now: Date) async throws -> TaskRecord {
        try Representation.task(from: try await api.call("POST", "/v1/tasks/\(lease.taskID)/unclaim", body: Self.lease(lease)))
    }

    /// Waits on the server (`GET /v1/tasks/{id}/wait`), in rounds no longer than the server holds a wait; the
    /// server's clock counts, not `time`.
    public func wait(for id: TaskID, timeout: Double, time: any TimeSource) async throws -> TaskRecord {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = max(0, deadline.timeIntervalSinceNow)
            let task = try Representation.task(
                from: try await api.call("GET", "/v1/tasks/\(id)/wait", query: [("timeout", String(format: "%.3f", min(left, 300)))])
            )
            if task.state.isFinal { return task }
            if Date() >= deadline { throw WaitTimeout(task: task, timeout: timeout) }
        }
    }

    public func setDefinitionEnabled(_ name: String, _ enabled: Bool, now: Date) async throws {
        _ = try await api.call("POST", "/v1/definitions/\(RemoteAPI.segment(name))/\(enabled ? "enable" : "disable")")
    }

    public func disabledDefinitions() async throws -> Set<String> {
        let definitions = try ShapeReader(try await api.call("GET", "/v1/definitions"), "definition list").list("definitions") { item in
            let read = ShapeReader(item, "definition")
            return (name: try read.string("name"), enabled: try read.bool("enabled"))
        }
        return Set(definitions.filter { !$0.enabled }.map(\.name))
    }
}
