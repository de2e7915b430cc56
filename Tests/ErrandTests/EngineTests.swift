import Errand
import ErrandCore
import ErrandSQLite
import ErrandStore
import ErrandTesting
import Foundation
import Synchronization
import Testing

/// The engine on a real SQLite store with a manual clock.
@Suite(.timeLimit(.minutes(5))) struct EngineTests {
    func state(_ client: ErrandClient, _ id: TaskID) async throws -> TaskState? {
        try await client.task(id)?.state
    }

    @Test func aHandlerResultIsStoredAndWaitReturnsIt() async throws {
        try await withTestNode(handlers: .withBuiltins()) { client, _, _ in
            let task = try await client.enqueue(NewTask(handler: "errand.echo", arguments: #"{"x":1}"#)).task
            let done = try await client.wait(for: task.id, timeout: 10)
            #expect(done.state == .completed)
            #expect(done.result == #"{"x":1}"#)
            #expect(try await client.attempts(of: task.id).map(\.worker) == ["test-worker"])
        }
    }

    @Test func typedHandlersDecodeArgumentsAndEncodeResults() async throws {
        struct Sum: Codable, Sendable { var numbers: [Int] }
        var handlers = HandlerRegistry()
        handlers.register("math.sum") { (sum: Sum, _) in sum.numbers.reduce(0, +) }
        try await withTestNode(handlers: handlers) { client, _, _ in
            let task = try await client.enqueue("math.sum", arguments: Sum(numbers: [1, 2, 3])).task
            #expect(try await client.wait(for: task.id, timeout: 10).result == "6")
            let bad = try await client.enqueue(NewTask(handler: "math.sum", arguments: #"{"numbers":"x"}"#, retry: RetryPolicy(maxAttempts: 1))).task
            let failed = try await client.wait(for: bad.id, timeout: 10)
            #expect(failed.state == .failed)
            #expect(failed.lastError?.contains("do not decode") == true)
        }
    }

    @Test func aFailingTaskIsRetriedWithBackoffUntilItSucceeds() async throws {
        let calls = Mutex(0)
        var handlers = HandlerRegistry()
        handlers.register("flaky.run") { _ in
            let call = calls.withLock { calls in
                calls += 1
                return calls
            }
            if call < 3 { throw HandlerFailure("attempt \(call) failed") }
            return "\"ok\""
        }
        try await withTestNode(handlers: handlers) { client, _, time in
            let policy = RetryPolicy(maxAttempts: 5, delay: 10, delayFactor: 2)
            let task = try await client.enqueue(NewTask(handler: "flaky.run", retry: policy)).task
            let start = time.now
            try await eventually("first retry scheduled") { try await client.task(task.id)?.state == .scheduled }
            #expect(try await client.task(task.id)?.runAt == start.addingTimeInterval(10))
            time.advance(by: 9.9)
            // The dispatcher sleeps until the retry is due: nothing can claim it before.
            await eventually("the dispatcher sleeps until the retry") { time.deadlines.contains(start.addingTimeInterval(10)) }
            #expect(try await state(client, task.id) == .scheduled)
            time.advance(by: 0.1)
            try await eventually("second retry scheduled") {
                try await client.task(task.id)?.runAt == start.addingTimeInterval(30)
            }
            time.advance(by: 20)
            let done = try await client.wait(for: task.id, timeout: 10)
            #expect(done.state == .completed && done.attempt == 3)
            #expect(try await client.attempts(of: task.id).map(\.outcome) == [.failed, .failed, .succeeded])
            #expect(try await client.attempts(of: task.id).first?.message == "attempt 1 failed")
        }
    }

    /// The jitter sample comes from the node's random source: a fixed one pins the wait at an edge of the band.
    @Test(arguments: [(-1.0, 5.0), (1.0, 15.0), (0.5, 12.5)])
    func theRetryJitterComesFromTheNodesRandomSource(sample: Double, wait: Double) async throws {
        var handlers = HandlerRegistry()
        handlers.register("always.fails") { _ in throw HandlerFailure("no") }
        try await withTestNode(handlers: handlers, random: FixedRandomSource(sample)) { client, _, time in
            let policy = RetryPolicy(maxAttempts: 3, delay: 10, jitter: 0.5)
            let start = time.now
            let task = try await client.enqueue(NewTask(handler: "always.fails", retry: policy)).task
            try await eventually("the retry scheduled") { try await client.task(task.id)?.state == .scheduled }
            #expect(try await client.task(task.id)?.runAt == start.addingTimeInterval(wait))
        }
    }

    @Test func anExpiredLeaseIsRescuedAndTheTaskRunsAgain() async throws {
        try await withTestNode(handlers: .withBuiltins()) { client, node, time in
            let node2Store = client.store
            _ = try await node.rescuer.tick()
            node.dispatcher.stop()
            // A worker that claims and then dies: its lease expires after time_to_resolve.
            let task = try await client.enqueue(
                NewTask(handler: "errand.echo", arguments: "7", retry: RetryPolicy(maxAttempts: 2, delay: 0), timeToResolve: 30)
            ).task
            let claimed = try await node2Store.claim(ClaimRequest(worker: "dead-worker", limit: 1, now: time.now))
            #expect(claimed.map(\.id) == [task.id])
            time.advance(by: 29)
            #expect(try await node.rescuer.tick() == RescueReport(retried: 0, failed: 0))
            time.advance(by: 1)
            #expect(try await node.rescuer.tick() == RescueReport(retried: 1, failed: 0))
            #expect(try await client.attempts(of: task.id).map(\.outcome) == [.lost])
            #expect(try await state(client, task.id) == .pending)
        }
    }

    @Test func heartbeatsKeepALongAttemptAliveFromItsFirstSecond() async throws {
        let release = ChangeSignal()
        var handlers = HandlerRegistry()
        handlers.register("wait.release") { _ in
            _ = await release.wait(beyond: 0)
            return nil
        }
        // The dispatcher was idle (no lease to watch) when this short-lease task arrived.
        try await withTestNode(handlers: handlers) { client, node, time in
            let task = try await client.enqueue(NewTask(handler: "wait.release", timeToResolve: 3)).task
            await eventually("attempt started") { node.dispatcher.runningCount == 1 }
            for _ in 0..<6 {
                let before = try #require(try await client.task(task.id)?.leaseExpiresAt)
                time.advance(by: 1.1)
                try await eventually("lease extended") { try await client.task(task.id)?.leaseExpiresAt ?? before > before }
                #expect(try await node.rescuer.tick() == RescueReport(retried: 0, failed: 0))
            }
            release.notify()
            let done = try await client.wait(for: task.id, timeout: 10)
            #expect(done.state == .completed && done.attempt == 1)
        }
    }

    @Test func aCancelledRunningTaskIsStoppedAtItsNextHeartbeat() async throws {
        let started = Mutex(false)
        let sawCancellation = Mutex(false)
        var handlers = HandlerRegistry()
        handlers.register("block.forever") { _ in
            started.withLock { $0 = true }
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                sawCancellation.withLock { $0 = true }
                throw error
            }
            return nil
        }
        try await withTestNode(handlers: handlers) { client, node, time in
            let task = try await client.enqueue(NewTask(handler: "block.forever", timeToResolve: 30)).task
            await eventually("handler started") { started.withLock { $0 } }
            try await client.cancel(task.id, reason: "operator said so")
            time.advance(by: 11)
            await eventually("handler cancelled") { sawCancellation.withLock { $0 } }
            await eventually("slot freed") { node.dispatcher.runningCount == 0 }
            let record = try await client.task(task.id)
            #expect(record?.state == .cancelled && record?.message == "operator said so")
        }
    }

    @Test func shutdownSignalsAttemptsStillRunningAfterTheGrace() async throws {
        let started = Mutex(0)
        var handlers = HandlerRegistry()
        handlers.register("block.forever") { _ in
            started.withLock { $0 += 1 }
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("e.db").path)
            let time = ManualTimeSource()
            let client = ErrandClient(store: store, time: time)
            let dispatcher = Dispatcher(
                store: store,
                runner: InProcessRunner(handlers: handlers),
                configuration: DispatcherConfiguration(worker: "w", capacity: 4, shutdownGrace: 10),
                time: time
            )
            let tasks = try await client.enqueue((0..<2).map { _ in NewTask(handler: "block.forever", retry: RetryPolicy(maxAttempts: 1)) })
            let running = Task { try await dispatcher.run() }
            await eventually("both started") { started.withLock { $0 } == 2 }
            let stoppedAt = time.now
            dispatcher.stop()
            // The wind-down waits for the grace period before cancelling anything.
            await eventually("the wind-down waits for the grace") { time.deadlines.contains(stoppedAt.addingTimeInterval(10)) }
            #expect(dispatcher.runningCount == 2)
            time.advance(by: 10)
            try await running.value
            for result in tasks {
                let task = try #require(try await client.task(result.task.id))
                // Attempts ended by shutdown are given back: the task is pending again, with its attempt unused.
                #expect(task.state == .pending && task.chargedAttempts == 0)
                #expect(try await client.attempts(of: task.id).map(\.outcome) == [.signaled])
            }
        }
    }

    @Test func shutdownLetsAttemptsThatFinishWithinTheGraceComplete() async throws {
        let release = ChangeSignal()
        var handlers = HandlerRegistry()
        handlers.register("wait.release") { _ in
            _ = await release.wait(beyond: 0)
            return "\"done\""
        }
        try await TemporaryDirectory.with { directory in
            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("e.db").path)
            let time = ManualTimeSource()
            let client = ErrandClient(store: store, time: time)
            let dispatcher = Dispatcher(
                store: store,
                runner: InProcessRunner(handlers: handlers),
                configuration: DispatcherConfiguration(worker: "w", capacity: 4, shutdownGrace: 10),
                time: time
            )
            let task = try await client.enqueue(NewTask(handler: "wait.release")).task
            let running = Task { try await dispatcher.run() }
            await eventually("attempt started") { dispatcher.runningCount == 1 }
            dispatcher.stop()
            let late = try await client.enqueue(NewTask(handler: "wait.release")).task
            release.notify()
            try await running.value
            let finished = try await client.task(task.id)
            #expect(finished?.state == .completed && finished?.result == "\"done\"")
            // A stopping dispatcher claims nothing new.
            #expect(try await client.task(late.id)?.state == .pending)
        }
    }

    @Test func aNodeClaimsOnlyTheHandlersItRunsSoOthersWaitForTheirWorker() async throws {
        try await withTestNode(handlers: .withBuiltins()) { client, _, _ in
            let elsewhere = try await client.enqueue(NewTask(handler: "nobody.home", retry: RetryPolicy(maxAttempts: 1))).task
            let echo = try await client.enqueue(NewTask(handler: "errand.echo", arguments: "[1]")).task
            #expect(try await client.wait(for: echo.id, timeout: 10).state == .completed)
            let waiting = try #require(try await client.task(elsewhere.id))
            #expect(waiting.state == .pending && waiting.attempt == 0)
        }
    }

    @Test func aScheduledTaskStartsOnTimeWhileTasksOfOtherHandlersWait() async throws {
        // With a long poll, only the next due time of this node's own handlers can wake it on time.
        try await withTestNode(handlers: .withBuiltins(), pollInterval: 3600) { client, node, time in
            _ = try await client.enqueue(NewTask(handler: "nobody.home"))
            let later = try await client.enqueue(NewTask(handler: "errand.echo", arguments: "[1]", runAt: time.now.addingTimeInterval(5))).task
            await eventually("first claim") { node.dispatcher.claimRounds >= 1 }
            // A sync point, not a pause: the dispatcher sleeps until the scheduled task is due.
            await eventually("the dispatcher sleeps until the task is due") { time.deadlines.contains(later.runAt) }
            time.advance(by: 5)
            let started = try await eventually(timeout: 10, every: 0.01, "the scheduled task ran") {
                try await client.task(later.id)?.state == .completed
            }
            #expect(started)
        }
    }

    @Test func aDueTaskOfAnotherHandlerDoesNotMakeAnIdleDispatcherSpin() async throws {
        try await withTestNode(handlers: .withBuiltins()) { client, node, _ in
            _ = try await client.enqueue(NewTask(handler: "nobody.home"))
            // The clock stands still: an idle dispatcher claims again only when told of a change.
            await eventually("first claim") { node.dispatcher.claimRounds >= 1 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(node.dispatcher.claimRounds <= 3, "\(node.dispatcher.claimRounds) claims while idle")
        }
    }

    @Test func anAttemptPastItsTimeoutIsStoppedAndEndsTimeout() async throws {
        var handlers = HandlerRegistry()
        handlers.register("wait.forever") { _ in
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
        try await withTestNode(handlers: handlers) { client, node, time in
            let task = try await client.enqueue(NewTask(handler: "wait.forever", retry: RetryPolicy(maxAttempts: 1), timeout: 5)).task
            let started = time.now
            await eventually("attempt started") { node.dispatcher.runningCount == 1 }
            // The attempt's timer sleeps until its timeout: after 4 s it has not fired.
            await eventually("the timer is set") { time.deadlines.contains(started.addingTimeInterval(5)) }
            time.advance(by: 4)
            #expect(time.deadlines.contains(started.addingTimeInterval(5)))
            #expect(try await state(client, task.id) == .running)
            time.advance(by: 1)
            let done = try await client.wait(for: task.id, timeout: 10)
            #expect(done.state == .failed)
            #expect(try await client.attempts(of: task.id).map(\.outcome) == [.timeout])
            #expect(done.lastError?.contains("timeout of 5 s") == true)
        }
    }

    @Test func neverMoreThanCapacityRunAtOnce() async throws {
        let running = Mutex((now: 0, peak: 0))
        var handlers = HandlerRegistry()
        handlers.register("slow.step") { _ in
            running.withLock { value in
                value.now += 1
                value.peak = max(value.peak, value.now)
            }
            try await Task.sleep(for: .milliseconds(5))
            running.withLock { $0.now -= 1 }
            return nil
        }
        try await withTestNode(handlers: handlers, capacity: 3) { client, _, _ in
            let tasks = try await client.enqueue((0..<30).map { _ in NewTask(handler: "slow.step") })
            for task in tasks { _ = try await client.wait(for: task.task.id, timeout: 20) }
            #expect(running.withLock { $0.peak } == 3)
        }
    }

    @Test func waitGivesUpAfterItsTimeout() async throws {
        try await TemporaryDirectory.with { directory in
            let client = try ErrandClient.sqlite(path: directory.appendingPathComponent("w.db").path)
            let task = try await client.enqueue(NewTask(handler: "errand.echo")).task
            do {
                _ = try await client.wait(for: task.id, timeout: 0.05)
                Issue.record("wait returned for a task nobody runs")
            } catch let timeout as WaitTimeout {
                #expect(timeout.task.state == .pending)
                #expect(timeout.description.contains("still pending"))
            }
        }
    }
}
