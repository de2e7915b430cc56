import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// `GET /metrics`: this process's counters and timers, and gauges read from the store at each scrape.
struct MetricsOperations {
    let services: APIServices
    /// The per-queue and per-definition gauges the last scrape set: the next one takes away those of queues and
    /// definitions that are gone, which would otherwise report their last value for ever.
    private let published = Published()

    private final class Published: Sendable {
        let gauges = Mutex<Set<PublishedGauge>>([])
    }

    /// One gauge a scrape set: its kind and its labels.
    private struct PublishedGauge: Hashable {
        enum Kind { case queueTasks, queueSuspended, definitionStatusTasks }
        var kind: Kind
        var labels: [String]

        var descriptor: MetricNameDescriptor {
            switch kind {
            case .queueTasks: MetricsOperations.queueTasks
            case .queueSuspended: MetricsOperations.queueSuspended
            case .definitionStatusTasks: MetricsOperations.definitionStatusTasks
            }
        }

        /// The labels as the registry takes them, name and value in turn.
        var pairs: [(String, String)] { stride(from: 0, to: labels.count - 1, by: 2).map { (labels[$0], labels[$0 + 1]) } }
    }

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
        var set: Set<PublishedGauge> = []
        func gauge(_ kind: PublishedGauge.Kind, _ labels: [(String, String)]) -> Gauge {
            let key = PublishedGauge(kind: kind, labels: labels.flatMap { [$0.0, $0.1] })
            set.insert(key)
            return registry.makeGauge(descriptor: key.descriptor, labels: labels)
        }
        for queue in queues {
            let counts = statistics.first { $0.queue == queue.name }?.counts ?? [:]
            for state in TaskState.allCases {
                gauge(.queueTasks, [("queue", queue.name), ("state", state.rawValue)]).set(Double(counts[state] ?? 0))
            }
            gauge(.queueSuspended, [("queue", queue.name)]).set(Double(queue.state == .suspended ? 1 : 0))
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
                gauge(.definitionStatusTasks, [("definition", definition.module ?? ""), ("status", status.rawValue)])
                    .set(Double(definition[status]))
            }
        }
        let leader = try await client.store.leader(now: client.time.now)
        registry.makeGauge(descriptor: Self.leader).set(Double(leader != nil && leader == services.nodeName ? 1 : 0))
        // Gauges of queues deleted and definitions without tasks since the last scrape go.
        let gone = published.gauges.withLock { published in
            defer { published = set }
            return published.subtracting(set)
        }
        for key in gone { registry.unregisterGauge(registry.makeGauge(descriptor: key.descriptor, labels: key.pairs)) }
    }
}
