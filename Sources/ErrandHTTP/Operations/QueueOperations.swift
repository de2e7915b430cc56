import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// Queues, workers, statistics and dead letters.
struct QueueOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "listQueues": listQueues, "createQueue": createQueue, "getQueue": getQueue, "deleteQueue": deleteQueue,
            "suspendQueue": suspendQueue, "resumeQueue": resumeQueue,
            "listWorkers": listWorkers, "getStatistics": getStatistics, "getFinishedStatistics": getFinishedStatistics,
            "listDeadLetters": listDeadLetters, "redriveDeadLetter": redriveDeadLetter,
        ]
    }

    private var client: ErrandClient { services.client }

    @Sendable func listQueues(_ request: APIRequest) async throws -> Response {
        let statistics = try await client.statistics()
        let queues = try await client.queues().map { queue in
            Representation.queue(queue, statistics: statistics.first { $0.queue == queue.name })
        }
        return .json(.object([("queues", .array(queues))]))
    }

    @Sendable func createQueue(_ request: APIRequest) async throws -> Response {
        let queue = try await client.createQueue(
            request.body.string("name") ?? "",
            retryPriorityDecrement: request.body.int("retry_priority_decrement") ?? 0
        )
        return .json(Representation.queue(queue, statistics: nil), status: .created)
    }

    @Sendable func getQueue(_ request: APIRequest) async throws -> Response {
        let name = request.path("name")
        guard let queue = try await client.queues().first(where: { $0.name == name }) else { throw StoreError.unknownQueue(name) }
        return .json(Representation.queue(queue, statistics: try await client.statistics().first { $0.queue == name }))
    }

    @Sendable func deleteQueue(_ request: APIRequest) async throws -> Response {
        let name = request.path("name")
        let deleted = try await client.deleteQueue(name)
        return .json(.object([("name", .string(name)), ("deleted_tasks", .int(deleted))]))
    }

    @Sendable func suspendQueue(_ request: APIRequest) async throws -> Response {
        try await queueAnswer(try await client.suspendQueue(request.path("name")))
    }

    @Sendable func resumeQueue(_ request: APIRequest) async throws -> Response {
        try await queueAnswer(try await client.resumeQueue(request.path("name")))
    }

    private func queueAnswer(_ queue: QueueRecord) async throws -> Response {
        .json(Representation.queue(queue, statistics: try await client.statistics().first { $0.queue == queue.name }))
    }

    @Sendable func listWorkers(_ request: APIRequest) async throws -> Response {
        let states = request.queryStrings("state").compactMap(WorkerState.init(rawValue:))
        let workers = try await client.store.workers(states: states)
        let held = try await client.store.tasksHeld().sorted { $0.key < $1.key }
        return .json(
            .object([
                ("workers", .array(workers.map(Representation.worker))),
                ("tasks_held", .object(held.map { ($0.key, .int($0.value)) })),
            ])
        )
    }

    @Sendable func getStatistics(_ request: APIRequest) async throws -> Response {
        let statistics = try await client.statistics()
        var totals: [TaskState: Int] = [:]
        for queue in statistics { totals.merge(queue.counts, uniquingKeysWith: +) }
        let leader = try await client.store.leader(now: client.time.now)
        let statuses = try await client.store.taskStatuses(now: client.time.now)
        return .json(
            .object(
                [
                    ("queues", .array(statistics.map(Representation.statistics))), ("totals", Representation.counts(totals)),
                    ("leader", .nullable(leader)),
                ] + Representation.taskStatuses(statuses)
            )
        )
    }

    @Sendable func getFinishedStatistics(_ request: APIRequest) async throws -> Response {
        let minutes = request.queryNumber("minutes").map { Int($0) } ?? 60
        let series = try await client.store.finishedPerMinute(minutes: minutes, now: client.time.now)
        return .json(.object([("minutes", .array(series.map(Representation.finishedMinute)))]))
    }

    @Sendable func listDeadLetters(_ request: APIRequest) async throws -> Response {
        let letters = try await client.store.deadLetters(limit: request.queryNumber("limit").map { Int($0) } ?? 100)
        return .json(.object([("dead_letters", .array(letters.map(Representation.deadLetter)))]))
    }

    @Sendable func redriveDeadLetter(_ request: APIRequest) async throws -> Response {
        let task = try await client.store.redrive(request.path("id"), body: request.body.string("body"), now: client.time.now)
        return .json(Representation.task(task))
    }
}

/// Health, readiness and the document.
struct SystemOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        ["getHealth": getHealth, "getReadiness": getReadiness, "getOpenAPIDocument": getOpenAPIDocument, "whoAmI": whoAmI]
    }

    @Sendable func whoAmI(_ request: APIRequest) async throws -> Response {
        .json(.object([("role", .string(request.role.rawValue)), ("checks_tokens", .bool(request.checksTokens))]))
    }

    @Sendable func getHealth(_ request: APIRequest) async throws -> Response { .json(.object([("status", "ok")])) }

    /// Ready when the store answers within ``readinessDeadline`` seconds; a probe never waits out a store's own
    /// (longer) operation timeout, and the reason is the store's message, not a client library's type.
    @Sendable func getReadiness(_ request: APIRequest) async throws -> Response {
        let client = services.client
        do {
            _ = try await withDeadline(Self.readinessDeadline) { try await client.queues() }
        } catch is OperationTimedOut {
            throw Problem(.serviceUnavailable, "unavailable", "the store did not answer within \(Self.readinessDeadline.formatted()) s")
        } catch let error as StoreError {
            throw Problem(.serviceUnavailable, "unavailable", "the store does not answer: \(error.message)")
        } catch {
            throw Problem(.serviceUnavailable, "unavailable", "the store does not answer")
        }
        return .json(.object([("status", "ready")]))
    }

    /// Longest wait of `/readyz` for the store, in seconds.
    static let readinessDeadline = 1.0

    @Sendable func getOpenAPIDocument(_ request: APIRequest) async throws -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(APIDocument.current.text)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }
}
