public import CoreMetrics
public import ErrandCore
public import ErrandStore
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
/// | `errand_definition_failures_total` | counter | `definition` (scheduler rounds in which it could not launch) |
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
        let factory = self.factory
        var byQueue: [String: Int] = [:]
        for result in results where result.isNew { byQueue[result.task.queue, default: 0] += 1 }
        for (queue, count) in byQueue {
            Counter(label: "errand_tasks_enqueued_total", dimensions: [("queue", queue)], factory: factory).increment(by: count)
        }
    }

    /// Tasks leased; records how long each waited since it was due. One metric object per queue and call, however
    /// many tasks: this runs for every claim.
    public func claimed(_ tasks: [TaskRecord]) {
        guard !tasks.isEmpty else { return }
        let factory = self.factory
        var waits: [String: [Double]] = [:]
        for task in tasks { waits[task.queue, default: []].append(max(0, (task.startedAt ?? task.runAt).timeIntervalSince(task.runAt))) }
        for (queue, values) in waits {
            Counter(label: "errand_tasks_claimed_total", dimensions: [("queue", queue)], factory: factory).increment(by: values.count)
            let timer = CoreMetrics.Timer(label: "errand_start_latency_seconds", dimensions: [("queue", queue)], factory: factory)
            for value in values { timer.recordSeconds(value) }
        }
    }

    /// Finishes written (by a worker, or a rescue): counts each by outcome and records how long its attempt ran.
    public func finished(_ results: [FinishResult]) {
        guard !results.isEmpty else { return }
        let factory = self.factory
        var outcomes: [[String]: Int] = [:]
        var durations: [[String]: [Double]] = [:]
        var refused = 0
        for result in results {
            switch result {
            case .applied(let task, let attempt?):
                outcomes[[task.queue, attempt.outcome.rawValue], default: 0] += 1
                durations[[task.queue, task.handler], default: []].append(max(0, attempt.finishedAt.timeIntervalSince(attempt.startedAt)))
            case .refused:
                refused += 1
            case .applied, .notFound:
                break
            }
        }
        for (key, count) in outcomes {
            Counter(label: "errand_tasks_finished_total", dimensions: [("queue", key[0]), ("outcome", key[1])], factory: factory)
                .increment(by: count)
        }
        for (key, values) in durations {
            let timer = CoreMetrics.Timer(
                label: "errand_attempt_duration_seconds",
                dimensions: [("queue", key[0]), ("handler", key[1])],
                factory: factory
            )
            for value in values { timer.recordSeconds(value) }
        }
        if refused > 0 { Counter(label: "errand_finishes_refused_total", factory: factory).increment(by: refused) }
    }

    /// Leases that expired and were rescued.
    public func leasesExpired(_ results: [FinishResult]) {
        let factory = self.factory
        var byQueue: [String: Int] = [:]
        for case .applied(let task, _) in results { byQueue[task.queue, default: 0] += 1 }
        for (queue, count) in byQueue {
            Counter(label: "errand_lease_expiries_total", dimensions: [("queue", queue)], factory: factory).increment(by: count)
        }
        finished(results)
    }

    /// A definition the scheduler could not launch this round (its queue is missing, its task is refused, …).
    public func definitionFailed(_ name: String) {
        Counter(label: "errand_definition_failures_total", dimensions: [("definition", name)], factory: factory).increment()
    }
}
