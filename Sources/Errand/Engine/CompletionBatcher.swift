import ErrandCore
import ErrandStore
import Foundation
import Logging
import Synchronization

/// Collects finished attempts and writes them in batches: one store transaction per flush (group commit).
///
/// A flush starts as soon as the previous one ends, so under load each transaction carries everything that finished
/// meanwhile, and when idle a single finish is written at once (no timer adds latency).
final class CompletionBatcher: Sendable {
    private struct State {
        var pending: [Finish] = []
        var writing = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let signal = ChangeSignal()
    private let store: any TaskStore
    private let time: any TimeSource
    private let logger: Logger
    private let metrics: ErrandMetrics
    /// Largest batch per transaction.
    let maxBatch: Int

    init(store: any TaskStore, time: any TimeSource, logger: Logger, metrics: ErrandMetrics = .global, maxBatch: Int = 1000) {
        self.store = store
        self.time = time
        self.logger = logger
        self.metrics = metrics
        self.maxBatch = maxBatch
    }

    /// Finished attempts not yet written: queued, or in the flush under way.
    var unwritten: Int { state.withLock { $0.pending.count + $0.writing } }

    /// Queues one finished attempt for the next flush.
    func submit(_ finish: Finish) {
        state.withLock { $0.pending.append(finish) }
        signal.notify()
    }

    /// Ends ``run()`` once everything submitted so far is written.
    func close() {
        state.withLock { $0.closed = true }
        signal.notify()
    }

    /// Flushes until closed and empty.
    func run() async {
        var seen: UInt64 = 0
        var failures = 0
        while true {
            let (batch, closed) = state.withLock { state -> ([Finish], Bool) in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                state.writing = batch.count
                return (batch, state.closed)
            }
            if batch.isEmpty {
                if closed || Task.isCancelled { return }
                seen = await signal.wait(beyond: seen)
                continue
            }
            do {
                let results = try await store.finish(batch, now: time.now)
                state.withLock { $0.writing = 0 }
                metrics.finished(results)
                failures = 0
                for result in results {
                    if case .refused(let refusal) = result {
                        logger.info("late finish refused", metadata: ["errand.task.id": "\(refusal.taskID)", "errand.reason": "\(refusal.reason)"])
                    }
                }
            } catch {
                failures += 1
                logger.error("writing \(batch.count) finished attempts failed; retrying", metadata: ["errand.error": "\(error)"])
                if (closed && failures >= 5) || Task.isCancelled {
                    // Give up at shutdown: the leases expire and the rescuer retries these tasks.
                    logger.error("dropping \(batch.count) finished attempts at shutdown; they will be rescued as lost")
                    state.withLock { $0.writing = 0 }
                    continue
                }
                state.withLock { state in
                    state.pending.insert(contentsOf: batch, at: 0)
                    state.writing = 0
                }
                try? await Task.sleep(for: .milliseconds(min(1000, 50 * failures)))
            }
        }
    }
}
