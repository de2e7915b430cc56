import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Synchronization
import Testing

@testable import ErrandPostgres

/// How nodes learn of new work: debounced `NOTIFY` between processes, and the poll that backs it up.
@Suite(.timeLimit(.minutes(5))) struct WakeUpTests {
    final class Sent: Sendable {
        let batches = Mutex<[[String]]>([])
        var all: [[String]] { batches.withLock { $0 } }
    }

    @Test func requestsWithinTheWindowMergeIntoOneTrailingNotifyPerQueue() async throws {
        let sent = Sent()
        // A long window, so that a loaded machine cannot stretch the gap between two requests past it.
        let sender = WakeUpSender(window: .seconds(2)) { keys in sent.batches.withLock { $0.append(keys.sorted()) } }
        let flushing = Task { await sender.run() }
        defer { flushing.cancel() }
        await sender.request(["a"])
        #expect(sent.all == [["a"]], "the first request of an idle queue is sent at once")
        await sender.request(["a"])
        await sender.request(["a", "b"])
        #expect(sent.all == [["a"], ["b"]], "a second request for a within the window waits; b is a queue of its own")
        await eventually(timeout: 30, "the trailing send") { sent.all.count == 3 }
        #expect(sent.all == [["a"], ["b"], ["a"]], "the merged requests leave exactly one trailing send")
        try await Task.sleep(for: .milliseconds(2_500))
        #expect(sent.all.count == 3, "nothing more is sent without requests")
        await sender.request(["a"])
        #expect(sent.all.count == 4 && sent.all.last == ["a"], "after a quiet window a request is sent at once again")
    }

    /// Two stores on one schema stand for two nodes: an enqueue on one wakes a waiter on the other.
    @Test(arguments: [false, true]) func anotherNodesEnqueueWakesThisNode(pollOnly: Bool) async throws {
        try await PostgresFixture.withFreshStore { first in
            var configuration = first.configuration
            configuration.pollOnly = pollOnly
            configuration.pollInterval = pollOnly ? 0.2 : 60
            let second = try await PostgresTaskStore(configuration: configuration)
            defer { second.close() }
            try await second.withRunning { try await Self.wakes(second, after: first) }
        }
    }

    /// An enqueue on `first` wakes a waiter on `second`, which then claims the task.
    private static func wakes(_ second: PostgresTaskStore, after first: PostgresTaskStore) async throws {
        let signal = second.changes()
        // Give LISTEN time to start, then wait for a change beyond what its start signalled.
        try await Task.sleep(for: .milliseconds(500))
        let seen = signal.generation
        let woken = Task { await signal.wait(beyond: seen) }
        _ = try await first.enqueue([NewTask(handler: "errand.echo")], now: Date())
        let timeout = Task {
            try await Task.sleep(for: .seconds(5))
            woken.cancel()
        }
        let generation = await woken.value
        timeout.cancel()
        #expect(generation > seen, "the other node was not woken within 5 s")
        #expect(try await second.claim(ClaimRequest(worker: "w", limit: 10, now: Date())).count == 1)
    }
}
