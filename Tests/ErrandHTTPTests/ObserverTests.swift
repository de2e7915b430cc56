import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Synchronization
import Testing

/// riaktq's observers: named queries the leader runs at a time of day, each result a `report` event and kept.
@Suite(.timeLimit(.minutes(5))) struct ObserverTests {
    /// The observers of the test's configuration, with a time of day `at` (UTC, as riaktq's `time` gives it).
    static func observers(at: Date) throws -> [TaskDefinition] {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let parts = utc.dateComponents([.hour, .minute, .second], from: at)
        let time = String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        let config = try ErrandConfig(document: [
            "observers": [
                "tasks-that-done": ["status": "done", "time": time],
                "tasks-created-at-least-1second-before": ["age": 1, "time": time, "keep": 3],
            ] as [String: Any]
        ])
        #expect(config.definitions.map(\.name) == ["observer.tasks-created-at-least-1second-before", "observer.tasks-that-done"])
        return config.definitions
    }

    @Test func anObserverTwoSecondsAheadReportsTheMatchingTasksOnceAsAnEventAndOverHTTP() async throws {
        let configured = Mutex<[TaskDefinition]>([])
        try await TestServer.with(definitionsNow: { configured.withLock { $0 } }) { server in
            var handlers = HandlerRegistry.withBuiltins()
            handlers.register("obs.work") { _ in #""done""# }
            let node = ErrandNode(
                store: server.store,
                handlers: handlers,
                configuration: NodeConfiguration(dispatcher: DispatcherConfiguration(worker: "observer-test", queues: [], pollInterval: 0.2))
            )
            let events = HTTPTestClient(baseURL: server.baseURL, token: TestServer.readToken)
            let cursor = try await server.store.stateChangeHead()
            try await node.withRunning {
                // Two tasks: one done, one that waits (its queue is suspended).
                let done = try await server.client.enqueue(NewTask(handler: "obs.work")).task
                _ = try await server.client.wait(for: done.id, timeout: 20)
                _ = try await server.client.createQueue("later")
                _ = try await server.client.suspendQueue("later")
                let waiting = try await server.client.store.enqueue(
                    [NewTask(handler: "obs.work", queue: "later")],
                    now: Date(),
                    intoSuspendedQueues: true
                )[0].task
                // Configured once the node runs, for a time a little more than two seconds ahead (a whole second).
                let at = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3).rounded(.down))
                let definitions = try Self.observers(at: at)
                configured.withLock { $0 = definitions }
                let scheduler = try #require(node.scheduler)
                scheduler.update(definitions)
                // Seen now, before their time, however busy the machine is (a schedule first seen after its slot
                // waits for the next one, tomorrow).
                _ = try await scheduler.tick()
                let stream = try await events.stream("/v1/events?after=\(cursor)", timeout: 20) {
                    $0.components(separatedBy: "event: report").count - 1 >= 2
                }
                let reports = EventTests.events(stream).filter { $0.event == "report" }.map(\.data)
                #expect(reports.count == 2, "\(stream)")
                func report(_ name: String) -> [String: Any]? {
                    reports.compactMap { $0["report"] as? [String: Any] }.first { $0["observer"] as? String == name }
                }
                let finished = try #require(report("tasks-that-done"), "\(reports)")
                #expect(finished["task_ids"] as? [String] == [done.id.rawValue] && finished["count"] as? Int == 1, "\(finished)")
                let aged = try #require(report("tasks-created-at-least-1second-before"))
                #expect(aged["task_ids"] as? [String] == [waiting.id, done.id].map(\.rawValue), "\(aged)")
                #expect(aged["count"] as? Int == 2)
                let ran = try #require(ISO8601DateFormatter.withFractions.date(from: finished["at"] as? String ?? ""))
                #expect(ran >= at, "ran at \(ran), meant for \(at)")

                // Over HTTP: each observer with its one report; a second later there is still only one (daily).
                try await Task.sleep(for: .seconds(1.5))
                let listed = try await server.send("GET", "/v1/observers", token: TestServer.readToken)
                #expect(listed.status == 200, "\(listed.text)")
                let observers = try #require(listed.object["observers"] as? [[String: Any]])
                #expect(observers.compactMap { $0["name"] as? String } == ["tasks-created-at-least-1second-before", "tasks-that-done"])
                for observer in observers {
                    let runs = try #require(observer["reports"] as? [[String: Any]])
                    #expect(runs.count == 1, "reported once: \(runs)")
                    #expect(runs.first?["state"] as? String == "completed")
                }
                let one = try await server.send("GET", "/v1/observers/tasks-that-done", token: TestServer.readToken)
                #expect(((one.object["reports"] as? [[String: Any]])?.first?["report"] as? [String: Any])?["count"] as? Int == 1)
                #expect(try await server.send("GET", "/v1/observers/nope", token: TestServer.readToken).status == 404)
            }
        }
    }

    @Test func observersAreCheckedAsTheFileIsRead() throws {
        let problems: [(Any, String)] = [
            (["status": "doing", "time": "00:00:00"], "observers.x.status: must be todo, nextup, done or failed"),
            (["status": "done"], "observers.x.time: is required"),
            (["status": "done", "time": "25:00:00"], "observers.x.time: must be a time of day HH:MM:SS"),
            (["status": "done", "time": "00:00:00", "schedule": "@daily"], "give time (a time of day) or schedule (cron), not both"),
            (["state": ["waiting"], "schedule": "@daily"], #"observers.x.state: unknown state "waiting""#),
            (["age": -1, "schedule": "@daily"], "observers.x.age: must be a number of seconds >= 0"),
            (["colour": "red", "schedule": "@daily"], "observers.x.colour"),
        ]
        for (value, message) in problems {
            #expect(throws: ConfigProblems.self) { try ErrandConfig(document: ["observers": ["x": value]]) }
            do {
                _ = try ErrandConfig(document: ["observers": ["x": value]])
            } catch {
                #expect(error.description.contains(message), "\(error.description)")
            }
        }
        let config = try ErrandConfig(document: ["observers": ["x": ["state": ["failed", "dead"], "queue": "q", "schedule": "0 */5 * * * *"]]])
        let observer = try #require(config.observers["x"])
        #expect(observer.query.states == [.failed, .dead] && observer.query.queue == "q" && observer.query.keep == 10)
        #expect(observer.definition.kind == .periodical && observer.definition.handler == "errand.observe")
        #expect(observer.definition.schedule?.expression == "0 */5 * * * *")
    }
}

extension ISO8601DateFormatter {
    /// Reads RFC 3339 times with fractional seconds, as the API writes them.
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
