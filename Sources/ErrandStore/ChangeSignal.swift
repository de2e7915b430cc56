import Foundation
import Synchronization

/// A counter that goes up whenever something changes, and lets any number of waiters sleep until it does.
///
/// Changes are merged: a waiter that was busy while three changes happened wakes once and re-checks the store.
/// Waiting never polls. Safe to share between tasks.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<UInt64, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The number of changes signalled so far.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Records a change and wakes every waiter.
    public func notify() {
        let (waiters, generation) = state.withLock { state in
            state.generation += 1
            let waiters = state.waiters
            state.waiters.removeAll()
            return (waiters, state.generation)
        }
        for continuation in waiters.values { continuation.resume(returning: generation) }
    }

    /// Returns the current generation once it is greater than `seen`, or at once when the task is cancelled.
    public func wait(beyond seen: UInt64) async -> UInt64 {
        let key = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<UInt64, Never>) in
                let ready: UInt64? = state.withLock { state in
                    if state.generation > seen || Task.isCancelled { return state.generation }
                    state.waiters[key] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let continuation = state.withLock { state in state.waiters.removeValue(forKey: key) }
            continuation?.resume(returning: state.withLock { $0.generation })
        }
    }
}
