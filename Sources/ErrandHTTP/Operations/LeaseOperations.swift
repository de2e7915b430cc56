import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// Remote workers: claim tasks, heartbeat, complete, fail or unclaim them. Only the lease holder (the worker and
/// attempt a claim answered with) can change a running task; anyone else gets 409.
struct LeaseOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "claimTasks": claimTasks, "heartbeatTask": heartbeatTask, "completeTask": completeTask, "failTask": failTask,
            "unclaimTask": unclaimTask, "finishTasks": finishTasks,
        ]
    }

    @Sendable func claimTasks(_ request: APIRequest) async throws -> Response {
        let body = request.body
        let tasks = try await claim(
            queues: body.strings("queues"),
            handlers: body.strings("handlers"),
            worker: body.string("worker") ?? "",
            limit: body.int("max") ?? 1,
            wait: body.double("wait") ?? 0,
            tags: body.strings("tags")
        )
        return .json(.object([("tasks", .array(tasks.map(Representation.task)))]))
    }

    /// Claims up to `limit` tasks, waiting up to `wait` seconds (at most the server's longest wait) for the first
    /// one, or with `fill` until `limit` are claimed (tasques' `block_for`); answers what was claimed by then.
    func claim(queues: [String], handlers: [String], worker: String, limit: Int, wait: Double, fill: Bool = false, tags: [String] = [])
        async throws -> [TaskRecord]
    {
        let store = services.store
        let time = services.client.time
        let changes = store.changes()
        let deadline = time.now.addingTimeInterval(min(wait, services.longestWait))
        var claimed: [TaskRecord] = []
        while true {
            let seen = changes.generation
            let request = ClaimRequest(queues: queues, handlers: handlers, worker: worker, limit: limit - claimed.count, now: time.now, tags: tags)
            let tasks = try await store.claim(request)
            if claimed.isEmpty {
                // A claim the store took (each look of a long poll): the claimer is in the registry, and stays live.
                await services.remoteClaimers.claimed(by: worker, queues: queues, handlers: handlers, tags: tags, in: store, now: request.now)
            }
            services.client.metrics.claimed(tasks)
            claimed += tasks
            if claimed.count >= limit || (!fill && !claimed.isEmpty) || time.now >= deadline { return claimed }
            try Task.checkCancellation()
            // Wake on new work, and look again at least every second (a task may come due without a signal).
            _ = await changes.wait(beyond: seen, until: min(deadline, time.now.addingTimeInterval(1)), time: time)
        }
    }

    @Sendable func heartbeatTask(_ request: APIRequest) async throws -> Response {
        let lease = try Self.lease(request)
        let store = services.store
        let now = services.client.time.now
        await services.remoteClaimers.heard(from: lease.worker, in: store, now: now)
        let held: Bool
        if let progress = request.body.object("progress") {
            held = try await store.reportProgress(lease, completed: progress.double("completed") ?? 0, total: progress.double("total"), now: now)
        } else {
            held = try await store.heartbeat([lease], now: now) == [lease]
        }
        guard let task = try await services.client.task(lease.taskID) else { throw StoreError.notFound(lease.taskID) }
        guard held else { throw Self.notHeld(lease, task) }
        return .json(Representation.task(task))
    }

    @Sendable func completeTask(_ request: APIRequest) async throws -> Response {
        try await finishOne(try finish(try Self.lease(request), .succeeded, request.body))
    }

    @Sendable func failTask(_ request: APIRequest) async throws -> Response {
        let outcome = request.body.string("outcome").flatMap(AttemptOutcome.init(rawValue:)) ?? .failed
        return try await finishOne(try finish(try Self.lease(request), outcome, request.body))
    }

    /// The finish a request's members give (`result`, `message`, `retryable`, `follow_ups`), with the jitter drawn here.
    private func finish(_ lease: Lease, _ outcome: AttemptOutcome, _ body: BodyObject) throws -> Finish {
        Finish(
            lease: lease,
            outcome: outcome,
            result: outcome == .succeeded ? try Self.result(body) : nil,
            message: body.string("message"),
            jitterSample: services.client.random.jitterSample(),
            followUps: try body.objects("follow_ups").enumerated().map { index, task in
                do { return try Representation.newTask(from: task) } catch let problem as Problem {
                    throw Problem.badRequest("follow_ups[\(index)]: \(problem.detail)")
                }
            },
            retryable: body.bool("retryable") ?? true
        )
    }

    @Sendable func unclaimTask(_ request: APIRequest) async throws -> Response {
        let lease = try Self.lease(request)
        do {
            return .json(Representation.task(try await services.client.store.unclaim(lease, now: services.client.time.now)))
        } catch let error as StoreError where error.code == .refused {
            guard let task = try await services.client.task(lease.taskID) else { throw StoreError.notFound(lease.taskID) }
            throw Self.notHeld(lease, task)
        }
    }

    @Sendable func finishTasks(_ request: APIRequest) async throws -> Response {
        var finishes: [Finish] = []
        for (index, item) in request.body.objects("finishes").enumerated() {
            guard let id = item.string("id").flatMap(TaskID.init) else { throw Problem.badRequest("finishes[\(index)].id: must be a UUID") }
            let lease = Lease(taskID: id, attempt: item.int("attempt") ?? 0, worker: item.string("worker") ?? "")
            let outcome = item.string("outcome").flatMap(AttemptOutcome.init(rawValue:)) ?? .failed
            do { finishes.append(try finish(lease, outcome, item)) } catch let problem as Problem {
                throw Problem.badRequest("finishes[\(index)].\(problem.detail)")
            }
        }
        let results = try await services.client.store.finish(finishes, now: services.client.time.now)
        services.client.metrics.finished(results)
        let items: [OutputJSON] = zip(finishes, results).map { finish, result in
            switch result {
            case .applied(let task, _):
                .object([("id", .string(task.id.rawValue)), ("status", "applied"), ("state", .string(task.state.rawValue))])
            case .refused(let refusal):
                .object([("id", .string(finish.lease.taskID.rawValue)), ("status", "conflict"), ("detail", .string(refusal.description))])
            case .notFound(let id):
                .object([("id", .string(id.rawValue)), ("status", "not_found"), ("detail", .string("no task with id \(id)"))])
            }
        }
        return .json(.object([("results", .array(items))]))
    }

    private func finishOne(_ finish: Finish) async throws -> Response {
        let result = try await services.client.store.finish([finish], now: services.client.time.now)
        services.client.metrics.finished(result)
        switch result.first {
        case .applied(let task, _)?: return .json(Representation.task(task))
        case .notFound(let id)?: throw StoreError.notFound(id)
        case .refused?, nil:
            guard let task = try await services.client.task(finish.lease.taskID) else { throw StoreError.notFound(finish.lease.taskID) }
            throw Self.notHeld(finish.lease, task)
        }
    }

    /// The lease a request presents: the task in the path, the worker and attempt in the body.
    static func lease(_ request: APIRequest) throws -> Lease {
        Lease(taskID: try request.taskID(), attempt: request.body.int("attempt") ?? 0, worker: request.body.string("worker") ?? "")
    }

    /// A result as stored: the JSON text as sent, within the arguments' size limit.
    static func result(_ body: BodyObject) throws -> String? {
        guard let text = body.rawJSON("result") else { return nil }
        guard text.utf8.count <= NewTask.maxArgumentsBytes else {
            throw Problem.badRequest("result: is \(text.utf8.count) bytes; the limit is \(NewTask.maxArgumentsBytes)")
        }
        return text
    }

    /// 409 saying why `lease` is not the task's lease (without naming who holds it, beyond the state).
    static func notHeld(_ lease: Lease, _ task: TaskRecord) -> Problem {
        let why: String
        switch task.state {
        case .cancelled: why = "the task was cancelled; stop working on it"
        case .running where task.attempt != lease.attempt: why = "the lease expired and the task is running again as attempt \(task.attempt)"
        case .running: why = "the task is leased to another worker"
        default: why = "the task is \(task.state.rawValue) (attempt \(task.attempt)); the lease of attempt \(lease.attempt) ended"
        }
        return Problem(.conflict, "lease-not-held", "worker \"\(lease.worker)\" does not hold task \(task.id) for attempt \(lease.attempt): \(why)")
    }
}
