import ErrandCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct NewTaskTests {
    @Test(arguments: [
        (NewTask(handler: ""), "handler"),
        (NewTask(handler: "has space"), "handler"),
        (NewTask(handler: "h", arguments: "{not json"), "arguments"),
        (NewTask(handler: "h", queue: "a/b"), "queue"),
        (NewTask(handler: "h", priority: 10), "priority"),
        (NewTask(handler: "h", priority: -1), "priority"),
        (NewTask(handler: "h", timeToResolve: 0), "time_to_resolve"),
        (NewTask(handler: "h", idempotencyKey: ""), "idempotency_key"),
        (NewTask(handler: "h", idempotencyKey: String(repeating: "k", count: 256)), "idempotency_key"),
        (NewTask(handler: "h", retry: RetryPolicy(delayFactor: 0.9)), "retry.delay_factor"),
        (NewTask(handler: "h", arguments: "\"" + String(repeating: "x", count: NewTask.maxArgumentsBytes) + "\""), "arguments"),
    ])
    func invalidRequestsNameTheField(_ task: NewTask, _ field: String) {
        do {
            try task.validate()
            Issue.record("accepted an invalid task")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func aPlainRequestIsValid() throws {
        try NewTask(handler: "my_module.cache_reload", arguments: #"{"a":[1,2]}"#, queue: "q-1.x").validate()
        try NewTask(handler: "errand.echo", arguments: "42").validate()
        // 255 characters however many bytes each takes, as the API's schema counts them.
        try NewTask(handler: "h", idempotencyKey: String(repeating: "é", count: 255)).validate()
    }
}

@Suite(.timeLimit(.minutes(5))) struct TaskIDTests {
    @Test func idsFromOneGeneratorIncreaseWithinAMillisecond() {
        let generator = TaskIDGenerator()
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let ids = (0..<10_000).map { _ in generator.next(now: now) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func idsAreVersion7UUIDsThatSortByTime() throws {
        let generator = TaskIDGenerator()
        let early = generator.next(now: Date(timeIntervalSince1970: 1_000))
        let late = generator.next(now: Date(timeIntervalSince1970: 2_000))
        #expect(early < late)
        let text = early.rawValue
        #expect(text.count == 36)
        #expect(Array(text)[14] == "7")
        #expect(TaskID(text.uppercased()) == early)
        #expect(TaskID("not-a-uuid") == nil)
    }
}
