import ErrandCore
import ErrandStore
import Foundation
import Logging
import Synchronization

/// The dispatcher's limits: attempts past their timeout, and stopping on its own (``StopConditions``).
extension Dispatcher {
    /// Stops claiming because a stop condition holds; running attempts finish without a deadline.
    func drain(_ reason: StopReason) {
        let drained = state.withLock { state in
            guard !state.stopping else { return false }
            state.stopping = true
            state.draining = true
            state.stopReason = reason
            return true
        }
        if drained { logger.notice("stopping: \(reason.description); letting running attempts finish") }
    }

    /// After a claim found nothing: whether a stop condition (nothing to do for a while, or every queue suspended)
    /// now holds, in which case the dispatcher drains.
    func stopsWhenIdle() async -> Bool {
        let conditions = configuration.stopWhen
        let now = time.now
        let idleFor = state.withLock { state -> Double in
            guard state.running.isEmpty else {
                state.idleSince = nil
                return 0
            }
            let since = state.idleSince ?? now
            state.idleSince = since
            return now.timeIntervalSince(since)
        }
        if let grace = conditions.idleFor, idleFor >= grace {
            drain(.empty(grace))
            return true
        }
        if conditions.onSuspend, let queues = try? await store.queues() {
            let watched = queues.filter { configuration.queues.isEmpty || configuration.queues.contains($0.name) }
            if !watched.isEmpty, watched.allSatisfy({ $0.state == .suspended }) {
                drain(.suspended)
                return true
            }
        }
        return false
    }

    /// Stops an attempt that ran past its timeout; it ends `timeout`.
    func timedOut(_ id: TaskID) {
        let handle = state.withLock { state -> Task<AttemptReport, Never>? in
            guard var entry = state.running[id], !entry.timedOut else { return nil }
            entry.timedOut = true
            state.running[id] = entry
            return entry.handle
        }
        guard let handle else { return }
        logger.notice("attempt ran past its timeout; stopping it", metadata: ["errand.task.id": "\(id)"])
        handle.cancel()
    }
}
