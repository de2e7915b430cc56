import Logging
import PostgresNIO
import Synchronization

/// The store's `PostgresClient`, replaced whole when an operation on it hangs.
///
/// A query sent on a connection the server has just closed can wait forever (postgres-nio 1.33 does not always fail
/// it), holding its pooled connection. Store operations therefore run under ``withDeadline(_:_:)``; when one times out
/// the store calls ``replace(_:)``: later operations get a fresh pool, and the stuck one is left to the old pool.
final class ConnectionPool: Sendable {
    private struct Current {
        var client: PostgresClient
        var runner: Task<Void, Never>
        var closed = false
    }

    private let state: Mutex<Current>
    private let configuration: PostgresClient.Configuration
    private let logger: Logger

    init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        state = Mutex(Current(client: client, runner: Task { await client.run() }))
    }

    /// The pool operations use now.
    var client: PostgresClient { state.withLock { $0.client } }

    /// Replaces `stale` with a new pool, unless that was done already.
    func replace(_ stale: PostgresClient) {
        let old = state.withLock { current -> Task<Void, Never>? in
            guard current.client === stale, !current.closed else { return nil }
            let old = current.runner
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            current.client = client
            current.runner = Task { await client.run() }
            return old
        }
        old?.cancel()
    }

    /// Closes every connection.
    func close() {
        state.withLock { current in
            current.closed = true
            current.runner.cancel()
        }
    }
}

/// An operation that did not finish in time.
struct OperationTimedOut: Error {}

/// Runs `body`, giving up after `seconds`: then it throws ``OperationTimedOut`` and cancels `body`, without waiting
/// for it (a task that ignores cancellation would otherwise hold the caller forever).
func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
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
