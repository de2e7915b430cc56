import ErrandCore
import Foundation
import Testing

/// Every (state, event) pair, with the state it leads to or the refusal it gets.
@Suite(.timeLimit(.minutes(5))) struct TaskTransitionTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)
    static let lease = Lease(taskID: TaskIDGenerator().next(now: now), attempt: 1, worker: "w")

    static func task(in state: TaskState) -> TaskRecord {
        TaskRecord(
            id: lease.taskID,
            queue: "default",
            handler: "h",
            arguments: "{}",
            priority: 0,
            runAt: now.addingTimeInterval(-5),
            state: state,
            attempt: state == .pending || state == .scheduled ? 0 : 1,
            chargedAttempts: state == .pending || state == .scheduled ? 0 : 1,
            retry: RetryPolicy(maxAttempts: 3, delay: 8),
            timeToResolve: 60,
            createdAt: now.addingTimeInterval(-10),
            startedAt: state == .running ? now.addingTimeInterval(-70) : nil,
            finishedAt: state.isFinal ? now.addingTimeInterval(-1) : nil,
            worker: state == .running ? "w" : nil,
            leaseExpiresAt: state == .running ? now.addingTimeInterval(-1) : nil
        )
    }

    enum Expected: Equatable {
        case next(TaskState)
        case refused(TransitionRefusal.Code)
    }

    static let events: [(String, TaskEvent)] = [
        ("claim", .claim(worker: "w2")),
        ("heartbeat", .heartbeat(lease)),
        ("finish succeeded", .finish(Finish(lease: lease, outcome: .succeeded, result: "1"))),
        ("finish failed", .finish(Finish(lease: lease, outcome: .failed, message: "boom"))),
        ("finish signaled", .finish(Finish(lease: lease, outcome: .signaled))),
        ("finish cancelled", .finish(Finish(lease: lease, outcome: .cancelled))),
        ("unclaim", .unclaim(lease)),
        ("rescue", .rescue),
        ("salvage", .salvage(by: "leader")),
        ("cancel", .cancel(reason: "stop")),
        ("retry", .retry),
        ("mark dead", .markDead(reason: "corrupt")),
    ]

    static func expected(_ state: TaskState, _ event: String) -> Expected {
        switch (state, event) {
        case (.scheduled, "claim"), (.pending, "claim"): .next(.running)
        case (.scheduled, "cancel"), (.pending, "cancel"), (.running, "cancel"): .next(.cancelled)
        case (_, "mark dead") where state != .dead: .next(.dead)
        case (.dead, "mark dead"): .refused(.wrongState)
        case (.running, "claim"): .refused(.wrongState)
        case (.running, "heartbeat"): .next(.running)
        case (.running, "finish succeeded"): .next(.completed)
        case (.running, "finish failed"), (.running, "rescue"): .next(.scheduled)
        case (.running, "finish signaled"), (.running, "unclaim"), (.running, "salvage"): .next(.pending)
        case (.running, "finish cancelled"): .next(.cancelled)
        case (.running, "retry"): .refused(.wrongState)
        case (_, "retry") where state.isFinal: .next(.pending)
        default: .refused(.wrongState)
        }
    }

    static let pairs: [(TaskState, String)] = TaskState.allCases.flatMap { state in events.map { (state, $0.0) } }

    @Test(arguments: pairs)
    func everyStateAndEvent(_ state: TaskState, _ eventName: String) throws {
        let event = try #require(Self.events.first { $0.0 == eventName }?.1)
        let before = Self.task(in: state)
        switch (TaskTransition.apply(event, to: before, now: Self.now), Self.expected(state, eventName)) {
        case (.success(let output), .next(let next)):
            #expect(output.task.state == next)
            #expect(output.task.id == before.id)
        case (.failure(let refusal), .refused(let code)):
            #expect(refusal.code == code)
            #expect(refusal.description.contains(before.id.rawValue))
        case (let actual, let expected):
            Issue.record("\(state) + \(eventName): expected \(expected), got \(actual)")
        }
    }

    @Test func aSalvageGivesTheAttemptBackUntilTheAllowanceIsUsedUp() throws {
        var task = Self.task(in: .running)
        task.retry = RetryPolicy(maxAttempts: 1)
        let free = try TaskTransition.apply(.salvage(by: "leader"), to: task, now: Self.now).get()
        #expect(free.task.state == .pending && free.task.chargedAttempts == 0 && free.task.runAt == Self.now)
        #expect(free.endedAttempt?.outcome == .lost && free.endedAttempt?.salvagedBy == "leader" && free.endedAttempt?.salvagedAt == Self.now)
        #expect(free.task.lastError?.contains("worker w was lost; salvaged by leader") == true)
        // A task that keeps losing its workers eventually pays for it.
        task.attempt = TaskTransition.salvageAllowance + 1
        let charged = try TaskTransition.apply(.salvage(by: "leader"), to: task, now: Self.now).get()
        #expect(charged.task.state == .failed && charged.endedAttempt?.outcome == .lost)
    }

    @Test func claimStartsAnAttemptWithALease() throws {
        let output = try TaskTransition.apply(.claim(worker: "w2"), to: Self.task(in: .pending), now: Self.now).get()
        #expect(output.task.attempt == 1 && output.task.chargedAttempts == 1)
        #expect(output.task.worker == "w2")
        #expect(output.task.leaseExpiresAt == Self.now.addingTimeInterval(60))
        #expect(output.endedAttempt == nil)
    }

    @Test func claimBeforeRunAtIsRefused() {
        var task = Self.task(in: .scheduled)
        task.runAt = Self.now.addingTimeInterval(1)
        guard case .failure(let refusal) = TaskTransition.apply(.claim(worker: "w"), to: task, now: Self.now) else {
            Issue.record("a task not yet due was claimed")
            return
        }
        #expect(refusal.code == .notDue)
    }

    @Test func aFinishWithAnotherWorkersLeaseIsRefused() {
        let stranger = Lease(taskID: Self.lease.taskID, attempt: 1, worker: "stranger")
        let result = TaskTransition.apply(.finish(Finish(lease: stranger, outcome: .succeeded)), to: Self.task(in: .running), now: Self.now)
        guard case .failure(let refusal) = result else {
            Issue.record("a stranger finished the task")
            return
        }
        #expect(refusal.code == .leaseNotHeld)
        #expect(refusal.description.contains("stranger"))
    }

    @Test func rescueBeforeTheLeaseExpiresIsRefused() {
        var task = Self.task(in: .running)
        task.leaseExpiresAt = Self.now.addingTimeInterval(1)
        guard case .failure(let refusal) = TaskTransition.apply(.rescue, to: task, now: Self.now) else {
            Issue.record("a live lease was rescued")
            return
        }
        #expect(refusal.code == .leaseNotExpired)
    }

    @Test func theLastFailedAttemptFailsTheTask() throws {
        var task = Self.task(in: .running)
        task.attempt = 3
        task.chargedAttempts = 3
        let lease = Lease(taskID: task.id, attempt: 3, worker: "w")
        let output = try TaskTransition.apply(.finish(Finish(lease: lease, outcome: .timeout, message: "slow")), to: task, now: Self.now).get()
        #expect(output.task.state == .failed)
        #expect(output.task.finishedAt == Self.now)
        #expect(output.task.lastError == "slow")
        #expect(output.endedAttempt?.outcome == .timeout)
        #expect(output.endedAttempt?.number == 3)
    }

    @Test func aRetryLowersThePriorityByTheDecrement() throws {
        var task = Self.task(in: .running)
        task.priority = 8
        task.retry.priorityDecrement = 3
        let output = try TaskTransition.apply(.finish(Finish(lease: Self.lease, outcome: .failed)), to: task, now: Self.now).get()
        #expect(output.task.priority == Priority.lowest)
        #expect(output.task.runAt == Self.now.addingTimeInterval(8))
    }

    @Test func enqueueMakesPendingOrScheduled() {
        let id = TaskIDGenerator().next(now: Self.now)
        #expect(TaskTransition.enqueue(NewTask(handler: "h"), id: id, now: Self.now).state == .pending)
        let later = NewTask(handler: "h", runAt: Self.now.addingTimeInterval(0.5))
        #expect(TaskTransition.enqueue(later, id: id, now: Self.now).state == .scheduled)
    }
}
