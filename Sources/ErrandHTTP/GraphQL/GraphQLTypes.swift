import ErrandCore
import ErrandStore
import Foundation
import GraphQL

/// The objects the GraphQL API answers with: views of the same records as the REST API's shapes, under the same
/// member names (`last_error`, `run_at`, …), so that a field means what the JSON member of that name means.
enum GraphQLTypes {
    /// Any JSON value (a task's arguments and result, a definition's arguments): the `JSON` scalar.
    struct JSON: Codable, Sendable {
        var map: Map

        init(map: Map) { self.map = map }

        /// The JSON text `text` as a value; `nil` for no text.
        init?(text: String?) {
            guard let text, let map = try? JSONDecoder().decode(Map.self, from: Data(text.utf8)) else { return nil }
            self.map = map
        }

        init(from decoder: any Decoder) throws { map = try decoder.singleValueContainer().decode(Map.self) }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(map)
        }

        /// The value as JSON text.
        var text: String { (try? JSONEncoder().encode(map)).map { String(decoding: $0, as: UTF8.self) } ?? "null" }
    }

    /// A task, as `GET /v1/tasks/{id}` answers it (the members a dashboard shows), with its attempts on demand.
    struct Task: Sendable {
        let record: TaskRecord
        let unknownTask: Bool

        var id: String { record.id.rawValue }
        var queue: String { record.queue }
        var handler: String { record.handler }
        var name: String? { record.name }
        var state: String { record.state.rawValue }
        var priority: Int { record.priority }
        var attempt: Int { record.attempt }
        var maxAttempts: Int { record.retry.maxAttempts }
        var arguments: JSON? { JSON(text: record.arguments) }
        var result: JSON? { JSON(text: record.result) }
        var message: String? { record.message }
        var lastError: String? { record.lastError }
        var runAt: String { record.runAt.iso8601 }
        var createdAt: String { record.createdAt.iso8601 }
        var startedAt: String? { record.startedAt?.iso8601 }
        var finishedAt: String? { record.finishedAt?.iso8601 }
        var worker: String? { record.worker }
        var idempotencyKey: String? { record.idempotencyKey }
        var parentID: String? { record.parentID?.rawValue }
        var rootID: String? { record.rootID?.rawValue }
        var module: String? { record.module }
        var tags: [String] { record.tags }
        var meta: JSON? { JSON(text: record.meta) }
    }

    /// One page of a task listing.
    struct TaskPage: Sendable {
        let tasks: [Task]
        let nextCursor: String?
    }

    /// One attempt of a task, as `GET /v1/tasks/{id}/attempts` lists it.
    struct Attempt: Sendable {
        let record: ErrandCore.Attempt

        var number: Int { record.number }
        var worker: String { record.worker }
        var outcome: String { record.outcome.rawValue }
        var message: String? { record.message }
        var result: JSON? { JSON(text: record.result) }
        var startedAt: String { record.startedAt.iso8601 }
        var finishedAt: String { record.finishedAt.iso8601 }
        var salvagedBy: String? { record.salvagedBy }
    }

    /// A task definition, as `GET /v1/definitions` lists it.
    struct Definition: Sendable {
        let definition: TaskDefinition
        let enabled: Bool
        let source: String
        let nextRuns: [String]

        var name: String { definition.name }
        var kind: String { definition.kind.rawValue }
        var handler: String { definition.handler }
        var queue: String { definition.queue }
        var schedule: String? { definition.schedule?.description }
        var timeZone: String { definition.timeZone }
        var arguments: JSON? { JSON(text: definition.arguments) }
    }

    /// A queue with its task counts by state.
    struct Queue: Sendable {
        let record: QueueRecord
        let counts: [TaskState: Int]

        var name: String { record.name }
        var state: String { record.state.rawValue }
        var retryPriorityDecrement: Int { record.retryPriorityDecrement }
        var total: Int { counts.values.reduce(0, +) }
        var scheduled: Int { counts[.scheduled] ?? 0 }
        var pending: Int { counts[.pending] ?? 0 }
        var running: Int { counts[.running] ?? 0 }
        var completed: Int { counts[.completed] ?? 0 }
        var failed: Int { counts[.failed] ?? 0 }
        var cancelled: Int { counts[.cancelled] ?? 0 }
        var dead: Int { counts[.dead] ?? 0 }
    }

    /// A registered worker.
    struct Worker: Sendable {
        let record: WorkerRecord

        var id: String { record.id }
        var name: String { record.name }
        var leaseName: String { record.leaseName }
        var queues: [String] { record.queues }
        var handlers: [String] { record.handlers }
        var state: String { record.state.rawValue }
        var startedAt: String { record.startedAt.iso8601 }
        var lastHeartbeatAt: String { record.lastHeartbeatAt.iso8601 }
    }

    /// Counts in Tarantool's vocabulary; GraphQL names cannot hold spaces, so `did not start` is `did_not_start` and
    /// `unknown task` is `unknown_task`.
    struct Statuses: Sendable {
        let counts: LaunchStatistics

        var definition: String? { counts.module }
        var stopped: Int { counts[.stopped] }
        var failed: Int { counts[.failed] }
        var lost: Int { counts[.lost] }
        var total: Int { counts.total }
        var completed: Int { counts[.completed] }
        var pending: Int { counts[.pending] }
        var didNotStart: Int { counts[.didNotStart] }
        var running: Int { counts[.running] }
        var unknownTask: Int { counts[.unknownTask] }
    }

    /// Tarantool's statistics: every task's statuses, each definition's, and the leader.
    struct Statistics: Sendable {
        let statuses: Statuses
        let definitions: [Statuses]
        let leader: String?
    }

    /// The namespace of Tarantool's mutations: `mutation { task { start(name: "…") } }`.
    struct TaskMutations: Sendable {}
}
