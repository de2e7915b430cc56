import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// tasques' task API (`/tasques/…`) over Errand's tasks and leases, wire-compatible with its swagger: its paths,
/// fields, states, status codes, the `X-TASQUES-WORKER-ID` header and `{"message": …}` errors (the document gives
/// these operations `x-errand-errors: message`). ``Tasques`` holds the mapping.
struct TasquesOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "tasquesCreateTask": createTask, "tasquesGetTask": getTask, "tasquesClaimTasks": claimTasks,
            "tasquesUnclaimTask": unclaimTask, "tasquesReportOnTask": reportOnTask, "tasquesMarkDone": markDone,
            "tasquesMarkFailed": markFailed,
        ]
    }

    private var store: any TaskStore { services.store }
    private var now: Date { services.client.time.now }

    @Sendable func createTask(_ request: APIRequest) async throws -> Response {
        let body = request.body
        let queue = body.string("queue") ?? ""
        let id = body.string("id") ?? Tasques.generatedID()
        let priority = body.int("priority") ?? 0
        var meta: [(String, OutputJSON)] = [("priority", .int(priority))]
        if let context = body.rawJSON("context"), !body.isNull("context") { meta.append(("context", .raw(context))) }
        var task = NewTask(
            handler: body.string("kind") ?? "",
            arguments: body.isNull("args") ? "null" : body.rawJSON("args") ?? "null",
            queue: queue,
            priority: Tasques.errandPriority(priority),
            runAt: try body.string("run_at").map { try Self.date($0, "run_at") },
            retry: Tasques.retry(times: body.int("retry_times") ?? Tasques.defaultRetryTimes),
            timeToResolve: try Tasques.duration(body, "processing_timeout") ?? Tasques.defaultProcessingTimeout,
            idempotencyKey: id
        )
        task.meta = OutputJSON.object(meta).text
        do { try task.validate() } catch { throw Problem.badRequest(Self.tasquesNames(error).description) }
        // tasques' ids stay taken by finished tasks too (until archived); Errand's key only while unfinished.
        if try await !store.list(TaskQuery(queue: queue, idempotencyKey: id, limit: 1)).tasks.isEmpty { throw Self.idTaken(id, queue) }
        let result: EnqueueResult
        do {
            result = try await services.client.enqueue(task)
        } catch let error as StoreError where error.code == .unknownQueue {
            // Queues come into being on first use, as tasques' do.
            try await Self.createQueue(queue, services)
            result = try await services.client.enqueue(task)
        }
        guard result.isNew else { throw Self.idTaken(id, queue) }
        return .json(Tasques.task(result.task, lastAttempt: nil), status: .created)
    }

    @Sendable func getTask(_ request: APIRequest) async throws -> Response {
        let task = try await find(request)
        return .json(Tasques.task(task, lastAttempt: try await store.attempts(of: task.id).last))
    }

    @Sendable func claimTasks(_ request: APIRequest) async throws -> Response {
        let worker = try Self.worker(request)
        let body = request.body
        let tasks = try await LeaseOperations(services: services).claim(
            queues: body.strings("queues"),
            handlers: [],
            worker: worker,
            limit: body.int("amount") ?? Tasques.defaultClaimAmount,
            wait: try Tasques.duration(body, "block_for") ?? Tasques.defaultBlockFor,
            fill: true
        )
        return .json(.array(tasks.map { Tasques.task($0, lastAttempt: nil) }))
    }

    @Sendable func unclaimTask(_ request: APIRequest) async throws -> Response {
        let lease = try await held(request, "unclaimed")
        do {
            return .json(Tasques.task(try await store.unclaim(lease, now: now), lastAttempt: try await store.attempts(of: lease.taskID).last))
        } catch let error as StoreError where error.code == .refused {
            throw Self.notClaimed(request.path("id"), "unclaimed")
        }
    }

    @Sendable func reportOnTask(_ request: APIRequest) async throws -> Response {
        let lease = try await held(request, "reported on")
        guard let task = try await store.task(lease.taskID) else { throw Self.notClaimed(request.path("id"), "reported on") }
        let data = request.body.isNull("data") ? nil : request.body.rawJSON("data")
        guard let reported = try await store.report(lease, meta: Tasques.reportedMeta(task, data: data, at: now), now: now) else {
            throw Self.notClaimed(request.path("id"), "reported on")
        }
        return .json(Tasques.task(reported, lastAttempt: nil))
    }

    @Sendable func markDone(_ request: APIRequest) async throws -> Response { try await finish(request, .succeeded, "marked as done") }

    @Sendable func markFailed(_ request: APIRequest) async throws -> Response { try await finish(request, .failed, "marked as failed") }

    /// Ends the worker's attempt with the body's `data` as its result (a failure's data is kept in the attempt).
    private func finish(_ request: APIRequest, _ outcome: AttemptOutcome, _ verb: String) async throws -> Response {
        let lease = try await held(request, verb)
        let data = request.body.isNull("data") ? nil : request.body.rawJSON("data")
        let finish = Finish(
            lease: lease,
            outcome: outcome,
            result: data,
            message: outcome == .failed ? "marked as failed by worker \(lease.worker)" : nil,
            jitterSample: services.client.random.jitterSample()
        )
        let results = try await store.finish([finish], now: now)
        services.client.metrics.finished(results)
        guard case .applied(let task, let attempt)? = results.first else { throw Self.notClaimed(request.path("id"), verb) }
        return .json(Tasques.task(task, lastAttempt: attempt))
    }

    /// The task named by the path's `queue` and `id`: the unfinished one with that idempotency key, else the newest
    /// with it, else the task whose Errand id it is.
    private func find(_ request: APIRequest) async throws -> TaskRecord {
        let queue = request.path("queue")
        let id = request.path("id")
        let keyed = try await store.list(TaskQuery(queue: queue, idempotencyKey: id, limit: 100)).tasks
        if let task = keyed.first(where: { !$0.state.isFinal }) ?? keyed.first { return task }
        if let taskID = TaskID(id), let task = try await store.task(taskID), task.queue == queue { return task }
        throw Problem.notFound("Could not find [\(id)] in queue [\(queue)]")
    }

    /// The lease of the task the request names, held by the request's worker.
    private func held(_ request: APIRequest, _ verb: String) async throws -> Lease {
        _ = try Self.worker(request)  // the header is checked before the task is looked up, as tasques does
        return try Self.lease(try await find(request), request, verb)
    }

    /// The running attempt's lease, if the request's worker holds it: 400 when the task is not claimed, 403 when
    /// another worker claimed it, as tasques answers.
    private static func lease(_ task: TaskRecord, _ request: APIRequest, _ verb: String) throws -> Lease {
        let worker = try worker(request)
        guard task.state == .running, let holder = task.worker else { throw notClaimed(request.path("id"), verb) }
        guard holder == worker else { throw Problem(.forbidden, "not-owned", "The Task was not owned by the worker [\(worker)]") }
        return Lease(taskID: task.id, attempt: task.attempt, worker: worker)
    }

    /// The worker the header names (blank is not a name, as in tasques).
    private static func worker(_ request: APIRequest) throws -> String {
        guard case .string(let text)? = request.query[Tasques.workerHeader], case let worker = text.trimmingCharacters(in: .whitespaces),
            !worker.isEmpty
        else { throw Problem.badRequest("Worker Id header [\(Tasques.workerHeader)] not sent") }
        return worker
    }

    /// A problem with a new task, named by tasques' field.
    private static func tasquesNames(_ problem: InvalidField) -> InvalidField {
        let names = ["handler": "kind", "arguments": "args", "time_to_resolve": "processing_timeout", "retry.max_attempts": "retry_times"]
        return InvalidField(field: names[problem.field] ?? problem.field, reason: problem.reason)
    }

    private static func notClaimed(_ id: String, _ verb: String) -> Problem {
        Problem.badRequest("The Task is not currently Claimed so cannot be \(verb): [\(id)]")
    }

    private static func idTaken(_ id: String, _ queue: String) -> Problem {
        Problem(.conflict, "id-in-use", "A Task with Id [\(id)] already exists in queue [\(queue)]")
    }

    /// Creates a queue unless another request just did.
    static func createQueue(_ name: String, _ services: APIServices) async throws {
        do { _ = try await services.client.createQueue(name) } catch let error as StoreError where error.code == .alreadyExists {}
    }

    private static func date(_ text: String, _ name: String) throws -> Date {
        guard let date = RFC3339.date(text) else { throw Problem.badRequest("\(name): must be an RFC 3339 date-time, got \"\(text.prefix(40))\"") }
        return date
    }
}
