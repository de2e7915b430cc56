import Foundation
import Synchronization

/// Sends the `NOTIFY`s that wake other nodes, at most one per queue per `window`.
///
/// Every enqueue wants to wake the dispatchers, but a `NOTIFY` per transaction costs a round trip and takes
/// PostgreSQL's global notify-queue lock at commit. The first request for a queue is sent at once (no added latency
/// when the system is idle); requests arriving within `window` of it are merged into one trailing `NOTIFY` sent when
/// the window ends. A trailing send always follows the commits of the requests it stands for, so no wake-up is lost:
/// at worst it comes `window` later. Trailing sends are made by ``run()`` (the store's background work).
final class WakeUpSender: Sendable {
    private struct State {
        var lastSent: [String: ContinuousClock.Instant] = [:]
        var pending: Set<String> = []
        var flushScheduled = false
    }

    private let state = Mutex(State())
    private let window: Duration
    private let send: @Sendable ([String]) async -> Void
    /// Rung when a trailing send is due `window` from now.
    private let flushes: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    /// - Parameters:
    ///   - window: the shortest time between two sends for one key.
    ///   - send: sends one `NOTIFY` per key.
    init(window: Duration, send: @escaping @Sendable ([String]) async -> Void) {
        self.window = window
        self.send = send
        flushes = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Makes the trailing sends, each `window` after the request that opened it, until cancelled.
    func run() async {
        for await _ in flushes.stream {
            try? await Task.sleep(for: window)
            await flush()
        }
    }

    /// Sends a wake-up for each key now, or merges it into the trailing send of the current window.
    func request(_ keys: some Sequence<String>) async {
        let now = ContinuousClock.now
        let (due, scheduleFlush) = state.withLock { state -> ([String], Bool) in
            var due: [String] = []
            for key in keys {
                if let last = state.lastSent[key], now - last < window {
                    state.pending.insert(key)
                } else {
                    state.lastSent[key] = now
                    due.append(key)
                }
            }
            let schedule = !state.pending.isEmpty && !state.flushScheduled
            if schedule { state.flushScheduled = true }
            return (due, schedule)
        }
        if !due.isEmpty { await send(due) }
        if scheduleFlush { flushes.continuation.yield() }
    }

    /// The keys whose window is open, marked as sent now: the caller sends them itself (inside its transaction).
    /// Keys still within their window are not returned, and not queued: pass them to ``request(_:)`` after the
    /// commit, so that the trailing send cannot overtake it.
    func leadingEdge(_ keys: some Sequence<String>) -> [String] {
        let now = ContinuousClock.now
        return state.withLock { state in
            keys.filter { key in
                if let last = state.lastSent[key], now - last < window { return false }
                state.lastSent[key] = now
                return true
            }
        }
    }

    /// Sends every merged request.
    private func flush() async {
        let keys = state.withLock { state -> [String] in
            let now = ContinuousClock.now
            let keys = Array(state.pending)
            state.pending.removeAll()
            state.flushScheduled = false
            for key in keys { state.lastSent[key] = now }
            return keys
        }
        if !keys.isEmpty { await send(keys) }
    }
}
