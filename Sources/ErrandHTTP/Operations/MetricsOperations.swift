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
    static var leader: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "errand",
            metricName: "leader",
            unitName: "",
            helpText: "1 on the node that holds the leader lease."
        )
    }

    /// Queue depth by state, suspended queues, workers by state, and whether this node leads.
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
        let leader = try await client.store.leader(now: client.time.now)
        registry.makeGauge(descriptor: Self.leader).set(Double(leader != nil && leader == services.nodeName ? 1 : 0))
    }
}
