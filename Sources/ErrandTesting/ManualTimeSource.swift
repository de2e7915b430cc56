public import Errand
public import Foundation
import Synchronization

/// A time source that moves only when a test says so.
///
/// Sleepers wake when ``advance(by:)`` moves the time past their deadline. ``sleepers`` and ``deadlines`` tell a test
/// who is waiting and until when, a deterministic point to synchronise on.
public final class ManualTimeSource: TimeSource {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var nextKey: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Starts at `start`; the default is a fixed whole-millisecond instant so results are repeatable.
    public init(start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        state = Mutex(State(now: start))
    }

    public var now: Date { state.withLock { $0.now } }

    /// Number of tasks currently sleeping on this source.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// When each sleeping task wants to wake, earliest first: a sync point for tests (`eventually { time.deadlines
    /// .contains(task.runAt) }` holds once the dispatcher sleeps until that task is due), instead of a fixed sleep.
    public var deadlines: [Date] { state.withLock { $0.sleepers.values.map(\.deadline).sorted() } }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by seconds: Double) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = state.now.addingTimeInterval(seconds)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for key in due.keys { state.sleepers.removeValue(forKey: key) }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    public func sleep(until deadline: Date) async throws {
        let key = state.withLock { state -> UInt64 in
            state.nextKey += 1
            return state.nextKey
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready: Bool = state.withLock { state in
                    if deadline <= state.now { return true }
                    if Task.isCancelled { return true }
                    state.sleepers[key] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let sleeper = state.withLock { state in state.sleepers.removeValue(forKey: key) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
