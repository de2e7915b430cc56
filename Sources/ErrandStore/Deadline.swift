import Synchronization

/// An operation that did not finish in time.
public struct OperationTimedOut: Error {
    public init() {}
}

/// Runs `body`, giving up after `seconds`: then it throws ``OperationTimedOut`` and cancels `body`, without waiting
/// for it (a task that ignores cancellation would otherwise hold the caller forever).
public func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let operation = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            race.finish(with: result)
        }
        race.arm(
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                guard !Task.isCancelled else { return }
                if race.finish(with: .failure(OperationTimedOut())) { operation.cancel() }
            }
        )
    }
}

/// Who finishes first, the operation or its timer; the loser's result is dropped.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
        var done = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func arm(_ timer: Task<Void, Never>) {
        let cancel = state.withLock { state -> Bool in
            state.timer = timer
            return state.done
        }
        if cancel { timer.cancel() }
    }

    /// Resumes the caller with `result` if nothing did yet; returns whether this call did.
    @discardableResult
    func finish(with result: Result<T, any Error>) -> Bool {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            guard !state.done else { return (nil, nil) }
            state.done = true
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        guard let continuation else { return false }
        timer?.cancel()
        continuation.resume(with: result)
        return true
    }
}
