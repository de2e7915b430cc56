import ErrandCore
import ErrandStore
import Foundation
import Testing

extension StoreCheck {
    static let queryChecks: [StoreCheck] = [
        StoreCheck(client: "the idempotency_key filter finds a key's tasks, finished ones too") { store, time in
            let first = try await store.add(NewTask(handler: "h", queue: "default", idempotencyKey: "k1"), now: time.now)
            _ = try await store.add(NewTask(handler: "h", idempotencyKey: "k2"), now: time.now)
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            _ = try await store.cancel(first.id, reason: nil, now: time.now)
            let again = try await store.add(NewTask(handler: "h", idempotencyKey: "k1"), now: time.now)
            let found = try await store.list(TaskQuery(queue: "default", idempotencyKey: "k1"))
            #expect(found.tasks.map(\.id) == [again.id, first.id])
            #expect(try await store.count(TaskQuery(idempotencyKey: "k2"), upTo: 10) == 1)
            #expect(try await store.list(TaskQuery(idempotencyKey: "none")).tasks.isEmpty)
        },
        StoreCheck(client: "the tasks finished per minute are counted by final state, empty minutes included") { store, time in
            // One second into a minute, so that the minutes below are whole ones.
            let seconds = time.now.timeIntervalSince1970
            time.advance(by: 61 - (seconds - 60 * (seconds / 60).rounded(.down)))
            let start = Date(timeIntervalSince1970: 60 * (time.now.timeIntervalSince1970 / 60).rounded(.down))
            let done = try await store.add(NewTask(handler: "h"), now: time.now)
            let cancelled = try await store.add(NewTask(handler: "h"), now: time.now)
            let failing = try await store.add(NewTask(handler: "h", retry: RetryPolicy(maxAttempts: 1)), now: time.now)
            _ = try await store.add(NewTask(handler: "h"), now: time.now)
            let claimed = try await store.claim(ClaimRequest(worker: "w1", limit: 1, now: time.now))
            #expect(claimed.map(\.id) == [done.id])
            _ = try await store.finishOne(claimed[0], .succeeded, now: time.now)
            _ = try await store.cancel(cancelled.id, reason: nil, now: time.now)
            time.advance(by: 120)
            let third = try await store.claim(ClaimRequest(worker: "w1", limit: 1, now: time.now))
            #expect(third.map(\.id) == [failing.id])
            _ = try await store.finishOne(third[0], .failed, message: "no", now: time.now)

            let series = try await store.finishedPerMinute(minutes: 5, now: time.now)
            #expect(series.map(\.minute) == (-2...2).map { start.addingTimeInterval(Double($0) * 60) })
            #expect(series.map(\.counts) == [[:], [:], [.completed: 1, .cancelled: 1], [:], [.failed: 1]])
            #expect(series[2].failureRate == 0 && series[4].failureRate == 1)
            #expect(try await store.finishedPerMinute(minutes: 1, now: time.now).map(\.total) == [1])
            // A task retried since is no longer counted where it finished.
            _ = try await store.retry(failing.id, now: time.now)
            #expect(try await store.finishedPerMinute(minutes: 1, now: time.now).map(\.total) == [0])
        },
        StoreCheck(client: "get of an unknown id is nil") { store, time in
            let missing = try await store.task(TaskIDGenerator().next(now: time.now))
            #expect(missing == nil)
        },
        StoreCheck(client: "list pages through all tasks newest first without gaps or repeats") { store, time in
            let added = try await store.enqueue((0..<25).map { NewTask(handler: "h", arguments: "\($0)") }, now: time.now).map(\.task)
            var seen: [TaskRecord] = []
            var cursor: TaskID?
            repeat {
                let page = try await store.list(TaskQuery(limit: 10, cursor: cursor))
                #expect(page.tasks.count <= 10)
                seen += page.tasks
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == added.reversed())
        },
        StoreCheck(client: "list filters by queue, state, handler and parent") { store, time in
            _ = try await store.createQueue("q", now: time.now)
            let parent = try await store.add(NewTask(handler: "parent"), now: time.now)
            let child = try await store.add(NewTask(handler: "child", parentID: parent.id), now: time.now)
            let inQ = try await store.add(NewTask(handler: "child", queue: "q"), now: time.now)
            let running = try await store.claim(ClaimRequest(handlers: ["parent"], worker: "w", limit: 1, now: time.now))
            #expect(try await store.list(TaskQuery(queue: "q")).tasks.map(\.id) == [inQ.id])
            #expect(try await store.list(TaskQuery(states: [.running])).tasks.map(\.id) == running.map(\.id))
            #expect(try await store.list(TaskQuery(states: [.pending, .running])).tasks.count == 3)
            #expect(try await store.list(TaskQuery(handler: "child")).tasks.map(\.id) == [inQ.id, child.id])
            #expect(try await store.list(TaskQuery(parentID: parent.id)).tasks.map(\.id) == [child.id])
            #expect(try await store.list(TaskQuery(queue: "q", handler: "parent")).tasks.isEmpty)
        },
        StoreCheck(client: "list and count filter by tag, creation time and text in the arguments") { store, time in
            let start = time.now.wholeMilliseconds
            let mail = try await store.add(NewTask(handler: "h", arguments: #"{"to": "ann@example.com"}"#, tags: ["mail", "urgent"]), now: time.now)
            time.advance(by: 10)
            let report = try await store.add(NewTask(handler: "h", arguments: #"{"report": 12345678901234567890}"#, tags: ["reports"]), now: time.now)
            time.advance(by: 10)
            let late = try await store.add(NewTask(handler: "h", arguments: #"{"to": "bob@example.com"}"#, tags: ["mail"]), now: time.now)
            func ids(_ query: TaskQuery) async throws -> [TaskID] { try await store.list(query).tasks.map(\.id) }
            #expect(try await ids(TaskQuery(tag: "mail")) == [late.id, mail.id])
            #expect(try await ids(TaskQuery(tag: "urgent")) == [mail.id])
            #expect(try await ids(TaskQuery(tag: "mai")).isEmpty, "a tag matches whole")
            #expect(try await ids(TaskQuery(createdAfter: start.addingTimeInterval(10))) == [late.id, report.id])
            #expect(try await ids(TaskQuery(createdBefore: start.addingTimeInterval(10))) == [mail.id])
            #expect(try await ids(TaskQuery(createdAfter: start.addingTimeInterval(5), createdBefore: start.addingTimeInterval(15))) == [report.id])
            #expect(try await ids(TaskQuery(text: "example.com")) == [late.id, mail.id])
            #expect(try await ids(TaskQuery(text: "12345678901234567890")) == [report.id], "the digits as stored")
            #expect(try await ids(TaskQuery(tag: "mail", text: "bob")) == [late.id])
            #expect(try await store.count(TaskQuery(tag: "mail", createdAfter: start), upTo: 100) == 2)
            #expect(try await store.count(TaskQuery(text: "nowhere"), upTo: 100) == 0)
            // Oldest first, a page at a time: the cursor moves towards newer tasks.
            let first = try await store.list(TaskQuery(limit: 2, oldestFirst: true))
            #expect(first.tasks.map(\.id) == [mail.id, report.id])
            let second = try await store.list(TaskQuery(limit: 2, cursor: first.nextCursor, oldestFirst: true))
            #expect(second.tasks.map(\.id) == [late.id] && second.nextCursor == nil)
        },
        StoreCheck(client: "count counts the tasks of a filter up to a cap") { store, time in
            _ = try await store.createQueue("q", now: time.now)
            _ = try await store.enqueue((0..<7).map { NewTask(handler: "h", queue: $0 < 3 ? "q" : "default") }, now: time.now)
            _ = try await store.claim(ClaimRequest(queues: ["q"], worker: "w", limit: 1, now: time.now))
            #expect(try await store.count(TaskQuery(), upTo: 100) == 7)
            #expect(try await store.count(TaskQuery(queue: "q"), upTo: 100) == 3)
            #expect(try await store.count(TaskQuery(states: [.running]), upTo: 100) == 1)
            #expect(try await store.count(TaskQuery(queue: "q", states: [.pending]), upTo: 100) == 2)
            #expect(try await store.count(TaskQuery(handler: "other"), upTo: 100) == 0)
            // Past the cap the count stops at cap + 1: "more than 5".
            #expect(try await store.count(TaskQuery(), upTo: 5) == 6)
            #expect(try await store.count(TaskQuery(), upTo: 7) == 7)
            // The cursor and page size of a list do not narrow a count.
            let page = try await store.list(TaskQuery(limit: 2))
            #expect(try await store.count(TaskQuery(limit: 2, cursor: page.nextCursor), upTo: 100) == 7)
        },
        StoreCheck(client: "statistics count tasks by queue and state") { store, time in
            _ = try await store.createQueue("empty", now: time.now)
            _ = try await store.enqueue((0..<4).map { _ in NewTask(handler: "h") }, now: time.now)
            _ = try await store.add(NewTask(handler: "h", runAt: time.now.addingTimeInterval(9)), now: time.now)
            let claimed = try await store.claim(ClaimRequest(worker: "w", limit: 2, now: time.now))
            _ = try await store.finishOne(claimed[0], .succeeded, now: time.now)
            let stats = try await store.statistics()
            #expect(stats.map(\.queue) == ["default", "empty"])
            let main = try #require(stats.first)
            #expect(main[.pending] == 2 && main[.scheduled] == 1 && main[.running] == 1 && main[.completed] == 1)
            #expect(main.total == 5)
            #expect(stats.last?.total == 0)
        },
    ]
}
