import Errand
import ErrandCore
import ErrandStore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``TaskStore`` that is an Errand server's HTTP API: what `errand --server URL task …` uses, so that operators
/// manage a remote cluster from a laptop, and what a Swift program can give ``ErrandClient`` to do the same.
///
/// Tasks, queues, workers, statistics, dead letters and leases (claim, heartbeat, finish, unclaim) go over HTTP. What
/// only a node on the store does — the scheduler's slots, rescue, pruning, leadership, the worker registry's writes,
/// reading the change log — throws ``StoreError`` `.unavailable` saying so. Server problems become the store errors
/// they stand for (404 → `.notFound`, 409 → `.refused`, …), with the server's message.
public struct RemoteTaskStore: TaskStore {
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

    public func enqueue(_ tasks: [NewTask], now: Date) async throws -> [EnqueueResult] {
        let body = try await api.call("POST", "/v1/tasks/batch", body: ["tasks": tasks.map(RemoteCoding.newTask)])
        return try RemoteCoding.list(body["results"]).map { item in
            let task = try RemoteCoding.task(item["task"])
            return item["created"] as? Bool == true ? .created(task) : .existing(task)
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        do {
            return try RemoteCoding.task(try await api.call("GET", "/v1/tasks/\(id)"))
        } catch let error as StoreError where error.code == .notFound {
            return nil
        }
    }

    public func attempts(of id: TaskID) async throws -> [Attempt] {
        try RemoteCoding.list(try await api.call("GET", "/v1/tasks/\(id)/attempts")["attempts"]).map(RemoteCoding.attempt)
    }

    public func list(_ query: TaskQuery) async throws -> TaskPage {
        var parameters: [(String, String)] = query.states.map { ("state", $0.rawValue) }
        if let queue = query.queue { parameters.append(("queue", queue)) }
        if let handler = query.handler { parameters.append(("handler", handler)) }
        if let parent = query.parentID { parameters.append(("parent_id", parent.rawValue)) }
        if let module = query.module { parameters.append(("module", module)) }
        if let cursor = query.cursor { parameters.append(("cursor", cursor.rawValue)) }
        if query.rootsOnly { parameters.append(("roots_only", "true")) }
        if !query.includeInternal { parameters.append(("include_internal", "false")) }
        if query.includeFolded { parameters.append(("include_folded", "true")) }
        parameters.append(("limit", String(min(1000, max(1, query.limit)))))
        let body = try await api.call("GET", "/v1/tasks", query: parameters)
        return TaskPage(
            tasks: try RemoteCoding.list(body["tasks"]).map(RemoteCoding.task),
            nextCursor: (body["next_cursor"] as? String).flatMap(TaskID.init)
        )
    }

    public func statistics() async throws -> [QueueStatistics] {
        try RemoteCoding.list(try await api.call("GET", "/v1/statistics")["queues"]).map { item in
            QueueStatistics(queue: item["queue"] as? String ?? "", counts: RemoteCoding.counts(item["counts"]))
        }
    }

    public func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord {
        try RemoteCoding.task(try await api.call("POST", "/v1/tasks/\(id)/cancel", body: ["reason": reason as Any]))
    }

    public func tree(of id: TaskID) async throws -> [TaskRecord] {
        try RemoteCoding.list(try await api.call("GET", "/v1/tasks/\(id)/tree")["tasks"]).map(RemoteCoding.task)
    }

    public func modules() async throws -> [String] {
        guard let names = try await api.value("GET", "/task_manager/list_modules") as? [String] else {
            throw StoreError(.corrupt, "the server's answer is not the documented list of modules")
        }
        return names
    }

    public func drainModule(_ module: String) async throws -> Int {
        try await api.call("POST", "/task_manager/drain/\(Self.pathSegment(module))")["deleted"] as? Int ?? 0
    }

    /// Over HTTP a TTL setting reads as the TTL in force (the server's configured one when none was set), and
    /// another setting as unavailable.
    public func setting(_ name: String) async throws -> String? {
        let answer = try await api.value("GET", try Self.ttlPath(name))
        return (answer as? Int).map(String.init)
    }

    public func setSetting(_ name: String, to value: String?, now: Date) async throws {
        guard let value else { throw notOverHTTP("clearing a setting") }
        _ = try await api.value("POST", try Self.ttlPath(name), query: [("ttl", value)])
    }

    private static func ttlPath(_ setting: String) throws -> String {
        switch setting {
        case StoreSetting.taskTTL: return "/task_manager/ttl"
        case StoreSetting.userTaskTTL: return "/task_manager/user_ttl"
        default: throw StoreError(.unavailable, "the setting \(setting) is not available over HTTP")
        }
    }

    private static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    public func retry(_ id: TaskID, now: Date) async throws -> TaskRecord {
        try RemoteCoding.task(try await api.call("POST", "/v1/tasks/\(id)/retry"))
    }

    public func createQueue(_ name: String, now: Date) async throws -> QueueRecord {
        try RemoteCoding.queue(try await api.call("POST", "/v1/queues", body: ["name": name]))
    }

    public func queues() async throws -> [QueueRecord] {
        try RemoteCoding.list(try await api.call("GET", "/v1/queues")["queues"]).map(RemoteCoding.queue)
    }

    public func setQueueState(_ name: String, to state: QueueState, now: Date) async throws -> QueueRecord {
        let action = state == .active ? "resume" : "suspend"
        return try RemoteCoding.queue(try await api.call("POST", "/v1/queues/\(RemoteAPI.segment(name))/\(action)"))
    }

    public func deleteQueue(_ name: String) async throws -> Int {
        try await api.call("DELETE", "/v1/queues/\(RemoteAPI.segment(name))")["deleted_tasks"] as? Int ?? 0
    }

    public func workers(states: [WorkerState]) async throws -> [WorkerRecord] {
        try RemoteCoding.list(try await api.call("GET", "/v1/workers", query: states.map { ("state", $0.rawValue) })["workers"])
            .map(RemoteCoding.worker)
    }

    public func leader(now: Date) async throws -> String? {
        try await api.call("GET", "/v1/statistics")["leader"] as? String
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try RemoteCoding.list(try await api.call("GET", "/v1/dead-letters", query: [("limit", String(min(1000, max(1, limit))))])["dead_letters"])
            .map(RemoteCoding.deadLetter)
    }

    public func redrive(_ id: String, body: String?, now: Date) async throws -> TaskRecord {
        try RemoteCoding.task(try await api.call("POST", "/v1/dead-letters/\(RemoteAPI.segment(id))/redrive", body: ["body": body as Any]))
    }

    // MARK: leases

    public func claim(_ request: ClaimRequest) async throws -> [TaskRecord] {
        let body: [String: Any] = [
            "worker": request.worker, "queues": request.queues, "handlers": request.handlers, "max": min(1000, max(1, request.limit)),
        ]
        return try RemoteCoding.list(try await api.call("POST", "/v1/claims", body: body)["tasks"]).map(RemoteCoding.task)
    }

    public func heartbeat(_ leases: [Lease], now: Date) async throws -> [Lease] {
        var held: [Lease] = []
        for lease in leases {
            do {
                _ = try await api.call("POST", "/v1/tasks/\(lease.taskID)/heartbeat", body: ["worker": lease.worker, "attempt": lease.attempt])
                held.append(lease)
            } catch let error as StoreError where error.code == .refused || error.code == .notFound {
                continue
            }
        }
        return held
    }

    public func reportProgress(_ lease: Lease, completed: Double, total: Double?, now: Date) async throws -> Bool {
        var progress: [String: Any] = ["completed": completed]
        if let total { progress["total"] = total }
        do {
            _ = try await api.call(
                "POST",
                "/v1/tasks/\(lease.taskID)/heartbeat",
                body: ["worker": lease.worker, "attempt": lease.attempt, "progress": progress]
            )
            return true
        } catch let error as StoreError where error.code == .refused || error.code == .notFound {
            return false
        }
    }

    public func finish(_ finishes: [Finish], now: Date) async throws -> [FinishResult] {
        var results: [FinishResult] = []
        for finish in finishes {
            let path = "/v1/tasks/\(finish.lease.taskID)/\(finish.outcome == .succeeded ? "complete" : "fail")"
            var body: [String: Any] = ["worker": finish.lease.worker, "attempt": finish.lease.attempt]
            if finish.outcome == .succeeded {
                if let result = finish.result { body["result"] = RemoteCoding.Raw(result) }
                if let message = finish.message { body["message"] = message }
            } else {
                body["message"] = finish.message ?? finish.outcome.rawValue
                body["retryable"] = finish.retryable
            }
            do {
                results.append(.applied(task: try RemoteCoding.task(try await api.call("POST", path, body: body)), attempt: nil))
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

    public func unclaim(_ lease: Lease, now: Date) async throws -> TaskRecord {
        try RemoteCoding.task(
            try await api.call("POST", "/v1/tasks/\(lease.taskID)/unclaim", body: ["worker": lease.worker, "attempt": lease.attempt])
        )
    }

    /// Waits on the server (`GET /v1/tasks/{id}/wait`), in rounds no longer than the server holds a wait; the
    /// server's clock counts, not `time`.
    public func wait(for id: TaskID, timeout: Double, time: any TimeSource) async throws -> TaskRecord {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = max(0, deadline.timeIntervalSinceNow)
            let task = try RemoteCoding.task(
                try await api.call("GET", "/v1/tasks/\(id)/wait", query: [("timeout", String(format: "%.3f", min(left, 300)))])
            )
            if task.state.isFinal { return task }
            if Date() >= deadline { throw WaitTimeout(task: task, timeout: timeout) }
        }
    }

    // MARK: what only a node on the store does

    private func notOverHTTP(_ what: String) -> StoreError {
        StoreError(.unavailable, "\(what) is not available over HTTP; run it on a node that opens the store (--db or --store)")
    }

    public func enqueueSlot(_ task: NewTask, schedule name: String, slot: Date, skipIfOutstanding: Bool, now: Date) async throws -> SlotResult {
        throw notOverHTTP("the scheduler")
    }
    public func launchStatistics() async throws -> [LaunchStatistics] { throw notOverHTTP("launch statistics") }
    public func scheduleMark(_ name: String) async throws -> Date? { throw notOverHTTP("the scheduler") }
    public func rescueExpiredLeases(now: Date, limit: Int) async throws -> [FinishResult] { throw notOverHTTP("rescue") }
    public func trimAttemptLog(maxPerHandler: Int) async throws -> Int { throw notOverHTTP("trimming the launch log") }
    public func trimLaunches(maxPerModule: Int) async throws -> Int { throw notOverHTTP("trimming launches") }
    public func prune(finishedBefore: Date, userTasksFinishedBefore: Date, limit: Int) async throws -> Int {
        throw notOverHTTP("pruning")
    }
    public func nextRunAt(queues: [String], handlers: [String]) async throws -> Date? { nil }
    public func nextLeaseExpiry() async throws -> Date? { nil }
    public func acquireLeadership(_ node: String, ttl: Double, now: Date) async throws -> Bool { false }
    public func releaseLeadership(_ node: String) async throws {}
    public func registerWorker(_ worker: WorkerRecord) async throws { throw notOverHTTP("registering a worker") }
    public func workerHeartbeat(_ id: String, now: Date) async throws -> WorkerRecord? { throw notOverHTTP("the worker registry") }
    public func endWorker(_ id: String, as state: WorkerState, now: Date) async throws { throw notOverHTTP("the worker registry") }
    public func salvageWorkers(by salvager: String, now: Date, limit: Int) async throws -> WorkerSalvage { throw notOverHTTP("salvage") }
    public func pruneWorkers(endedBefore: Date) async throws -> Int { throw notOverHTTP("pruning workers") }
    public func stateChanges(after cursor: String?, limit: Int) async throws -> [StateChange] {
        throw notOverHTTP("reading the change log (use GET /v1/events)")
    }
    public func setDefinitionEnabled(_ name: String, _ enabled: Bool, now: Date) async throws {
        _ = try await api.call("POST", "/v1/definitions/\(RemoteAPI.segment(name))/\(enabled ? "enable" : "disable")")
    }

    public func disabledDefinitions() async throws -> Set<String> {
        let definitions = try RemoteCoding.list(try await api.call("GET", "/v1/definitions")["definitions"])
        return Set(definitions.filter { $0["enabled"] as? Bool == false }.compactMap { $0["name"] as? String })
    }

    public func stateChangeHead() async throws -> String { throw notOverHTTP("reading the change log (use GET /v1/events)") }
    public func pruneStateChanges(keeping: Int) async throws -> Int { throw notOverHTTP("pruning the change log") }

    /// Never signals: a remote client waits on the server instead.
    public func changes() -> ChangeSignal { ChangeSignal() }
}
