import CoreMetrics
import ErrandCore
import ErrandStore
import Foundation

/// What this process did, as swift-metrics counters and timers: tasks enqueued, claimed and finished by queue and
/// outcome, how long attempts ran, how long tasks waited once due, and leases that expired.
///
/// Emitted through a swift-metrics `MetricsFactory`: the process-wide one (`MetricsSystem.bootstrap`, as
/// `errand serve` does with Prometheus) unless one is given. Counters are per process; add them up across nodes.
///
/// | metric | kind | labels |
/// | --- | --- | --- |
/// | `errand_tasks_enqueued_total` | counter | `queue` |
/// | `errand_tasks_claimed_total` | counter | `queue` |
/// | `errand_tasks_finished_total` | counter | `queue`, `outcome` (an attempt outcome) |
/// | `errand_finishes_refused_total` | counter | — (late or foreign finishes) |
/// | `errand_lease_expiries_total` | counter | `queue` |
/// | `errand_attempt_duration_seconds` | timer | `queue`, `handler` |
/// | `errand_start_latency_seconds` | timer | `queue` (from when a task was due to when it started) |
public struct ErrandMetrics: Sendable {
    private let fixed: (any MetricsFactory)?

    /// Metrics through `factory`.
    public init(factory: any MetricsFactory) {
        self.fixed = factory
    }

    private init() {
        self.fixed = nil
    }

    /// Metrics through the process-wide factory as it is when each metric is recorded (none until the process
    /// bootstraps `MetricsSystem`, which may come after this value was made).
    public static let global = ErrandMetrics()

    private var factory: any MetricsFactory { fixed ?? MetricsSystem.factory }

    /// New tasks stored.
    public func enqueued(_ results: [EnqueueResult]) {
        var byQueue: [String: Int] = [:]
        for result in results where result.isNew { byQueue[result.task.queue, default: 0] += 1 }
        for (queue, count) in byQueue {
            Counter(label: "errand_tasks_enqueued_total", dimensions: [("queue", queue)], factory: factory).increment(by: count)
        }
    }

    /// Tasks leased; records how long each waited since it was due.
    public func claimed(_ tasks: [TaskRecord]) {
        var byQueue: [String: Int] = [:]
        for task in tasks {
            byQueue[task.queue, default: 0] += 1
            if let started = task.startedAt {
                CoreMetrics.Timer(label: "errand_start_latency_seconds", dimensions: [("queue", task.queue)], factory: factory)
                    .recordSeconds(max(0, started.timeIntervalSince(task.runAt)))
            }
        }
        for (queue, count) in byQueue {
            Counter(label: "errand_tasks_claimed_total", dimensions: [("queue", queue)], factory: factory).increment(by: count)
        }
    }

    /// Finishes written (by a worker, or a rescue): counts each by outcome and records how long its attempt ran.
    public func finished(_ results: [FinishResult]) {
        for result in results {
            switch result {
            case .applied(let task, let attempt?):
                Counter(
                    label: "errand_tasks_finished_total",
                    dimensions: [("queue", task.queue), ("outcome", attempt.outcome.rawValue)],
                    factory: factory
                ).increment()
                CoreMetrics.Timer(
                    label: "errand_attempt_duration_seconds",
                    dimensions: [("queue", task.queue), ("handler", task.handler)],
                    factory: factory
                )
                .recordSeconds(max(0, attempt.finishedAt.timeIntervalSince(attempt.startedAt)))
            case .refused:
                Counter(label: "errand_finishes_refused_total", factory: factory).increment()
            case .applied, .notFound:
                break
            }
        }
    }

    /// Leases that expired and were rescued.
    public func leasesExpired(_ results: [FinishResult]) {
        for case .applied(let task, _) in results {
            Counter(label: "errand_lease_expiries_total", dimensions: [("queue", task.queue)], factory: factory).increment()
        }
        finished(results)
    }
}
