import ErrandCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct RetryPolicyTests {
    @Test func tarantoolsWorkedExampleHolds() {
        let policy = RetryPolicy(maxAttempts: 8, delay: 8, delayFactor: 1.5, maxDelay: 1000)
        let waits = (1..<8).map { policy.delay(afterFailedAttempts: $0) }
        #expect(waits == [8, 12, 18, 27, 40.5, 60.75, 91.125])
        #expect(policy.allowsAnotherAttempt(after: 7))
        #expect(!policy.allowsAnotherAttempt(after: 8))
    }

    @Test func theTransitionWaitsExactlyTheWorkedExampleDelays() throws {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        var task = TaskTransition.enqueue(
            NewTask(handler: "h", retry: RetryPolicy(maxAttempts: 8, delay: 8, delayFactor: 1.5, maxDelay: 1000)),
            id: TaskIDGenerator().next(now: now),
            now: now
        )
        var clock = now
        var waits: [Double] = []
        while !task.state.isFinal {
            task = try TaskTransition.apply(.claim(worker: "w"), to: task, now: clock).get().task
            let lease = try #require(task.lease)
            task = try TaskTransition.apply(.finish(Finish(lease: lease, outcome: .failed)), to: task, now: clock).get().task
            if !task.state.isFinal {
                waits.append(task.runAt.timeIntervalSince(clock))
                clock = task.runAt
            }
        }
        #expect(waits == [8, 12, 18, 27, 40.5, 60.75, 91.125])
        #expect(task.state == .failed && task.attempt == 8)
    }

    @Test func maxDelayCapsTheWait() {
        let policy = RetryPolicy(maxAttempts: 20, delay: 10, delayFactor: 3, maxDelay: 60)
        #expect(policy.delay(afterFailedAttempts: 5) == 60)
    }

    @Test func jitterSpreadsTheWaitWithinItsBand() {
        let policy = RetryPolicy(delay: 100, delayFactor: 1, maxDelay: 100, jitter: 0.2)
        #expect(policy.delay(afterFailedAttempts: 1, jitterSample: -1) == 80)
        #expect(policy.delay(afterFailedAttempts: 1, jitterSample: 1) == 120)
        #expect(policy.delay(afterFailedAttempts: 1, jitterSample: 0) == 100)
    }

    @Test func aMaxDelayBelowTheDelayCapsEveryWait() throws {
        let policy = RetryPolicy(delay: 10, maxDelay: 5)
        try policy.validate()
        #expect(policy.delay(afterFailedAttempts: 1) == 5)
        #expect(policy.delay(afterFailedAttempts: 3) == 5)
    }

    @Test(arguments: [
        (RetryPolicy(maxAttempts: 0), "max_attempts"),
        (RetryPolicy(delay: -1), "delay"),
        (RetryPolicy(delayFactor: 0.5), "delay_factor"),
        (RetryPolicy(maxDelay: -1), "max_delay"),
        (RetryPolicy(jitter: 2), "jitter"),
        (RetryPolicy(priorityDecrement: -1), "priority_decrement"),
        (RetryPolicy(delay: .nan), "delay"),
    ])
    func nonsensePoliciesAreRefusedNamingTheField(_ policy: RetryPolicy, _ field: String) {
        do {
            try policy.validate()
            Issue.record("accepted \(policy)")
        } catch {
            #expect(error.field == field)
            #expect(error.description.hasPrefix("\(field): "))
        }
    }

    @Test func theDefaultPolicyIsValid() throws {
        try RetryPolicy.default.validate()
    }
}
