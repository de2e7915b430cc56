import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird
import Prometheus

/// `GET /metrics`: this process's counters and timers, and gauges read from the store at each scrape.
struct MetricsOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] { ["getMetrics": getMetrics] }

    @Sendable func getMetrics(_ request: APIRequest) async throws -> Response {
        try await updateGauges()
        var buffer = ByteBuffer()
        buffer.writeBytes(services.registry.emitToBuffer())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: ResponseBody(byteBuffer: buffer))
    }

    static var queueTasks: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "queue",
            unitName: "tasks",
            helpText: "Tasks in the store, by queue and state."
        )
    }
    static var queueSuspended: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "queue",
            unitName: "suspended",
            helpText: "1 for a suspended queue."
        )
    }
    static var workers: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "workers",
            unitName: "",
            helpText: "Registered workers, by state."
        )
    }
    static var statusTasks: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "status",
            unitName: "tasks",
            helpText: "Every task, by status in Tarantool's vocabulary (unknown task: waiting, and no live node or worker runs it)."
        )
    }
    static var definitionStatusTasks: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "definition_status",
            unitName: "tasks",
            helpText: "Each task definition's launches, by status in Tarantool's vocabulary."
        )
    }
    static var leader: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "leader",
            unitName: "",
            helpText: "1 on the node that holds the leader lease."
        )
    }

    /// Queue depth by state, suspended queues, workers by state, every task's and each definition's launches' Tarantool
    /// status, and whether this node leads.
    private func updateGauges() async throws {
        let registry = services.registry
        let client = services.client
        let statistics = try await client.statistics()
        let queues = try await client.queues()
        for queue in queues {
            let counts = statistics.first { $0.queue == queue.name }?.counts ?? [:]
            for state in TaskState.allCases {
                registry.makeGauge(descriptor: Self.queueTasks, labels: [("queue", queue.name), ("state", state.rawValue)])
                    .set(Double(counts[state] ?? 0))
            }
            registry.makeGauge(descriptor: Self.queueSuspended, labels: [("queue", queue.name)])
                .set(Double(queue.state == .suspended ? 1 : 0))
        }
        let workers = try await client.store.workers(states: [])
        for state in WorkerState.allCases {
            registry.makeGauge(descriptor: Self.workers, labels: [("state", state.rawValue)])
                .set(Double(workers.filter { $0.state == state }.count))
        }
        let statuses = try await client.store.taskStatuses(now: client.time.now)
        for status in LaunchStatus.allCases {
            registry.makeGauge(descriptor: Self.statusTasks, labels: [("status", status.rawValue)]).set(Double(statuses.all[status]))
            for definition in statuses.definitions {
                registry.makeGauge(
                    descriptor: Self.definitionStatusTasks,
                    labels: [("definition", definition.module ?? ""), ("status", status.rawValue)]
                )
                .set(Double(definition[status]))
            }
        }
        let leader = try await client.store.leader(now: client.time.now)
        registry.makeGauge(descriptor: Self.leader).set(Double(leader != nil && leader == services.nodeName ? 1 : 0))
    }
}
