import ErrandTesting
import Foundation
import GRDB
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One JSON shape per resource: `errand … -o json` prints what the HTTP API answers for the same object.
@Suite(.timeLimit(.minutes(5))) struct OneShapeTests {
    /// Whether two parsed JSON documents are the same value.
    static func same(_ left: Any?, _ right: Any?) -> Bool {
        guard let left, let right else { return left == nil && right == nil }
        return NSArray(array: [left]).isEqual(to: [right])
    }

    @Test func theCLIPrintsEachResourceAsTheAPIAnswersIt() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            // Rare heartbeats, so that the worker records hold still while the CLI and the API are compared.
            let serve = try errand.serve(["--heartbeat-interval", "30", "--heartbeat-expiration", "120"])
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let api = ServeAPI(url: try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())"))

            // A task with tree fields, a retry, progress and a result: a child run by a remote worker, failed once.
            let retry = #""retry": {"max_attempts": 3, "delay": 0}"#
            let parent = try #require(try await api.object("POST", "/v1/tasks", #"{"handler": "shape.job", \#(retry)}"#)["id"] as? String)
            let child = try #require(
                try await api.object("POST", "/v1/tasks", #"{"handler": "shape.job", "parent_id": "\#(parent)", "module": "m", \#(retry)}"#)["id"]
                    as? String
            )
            func claim() async throws -> [String: Any] {
                let claimed = try await api.object("POST", "/v1/claims", #"{"worker": "shape-w", "handlers": ["shape.job"], "max": 10}"#)
                let tasks = try #require(claimed["tasks"] as? [[String: Any]])
                return try #require(tasks.first { $0["id"] as? String == child }, "the child was not claimed: \(tasks)")
            }
            let first = try await claim()
            let lease = { (task: [String: Any]) in #""worker": "shape-w", "attempt": \#(task["attempt"] as? Int ?? 0)"# }
            _ = try await api.call("POST", "/v1/tasks/\(child)/fail", #"{\#(lease(first)), "message": "once"}"#)
            let second = try await claim()
            _ = try await api.call("POST", "/v1/tasks/\(child)/heartbeat", #"{\#(lease(second)), "progress": {"completed": 2, "total": 5}}"#)
            _ = try await api.call("POST", "/v1/tasks/\(child)/complete", #"{\#(lease(second)), "result": {"n": 12345678901234567890}}"#)

            let fromAPI = try await api.object("GET", "/v1/tasks/\(child)")
            #expect(fromAPI["attempt"] as? Int == 2 && fromAPI["parent_id"] as? String == parent && fromAPI["progress"] != nil)
            #expect(Self.same(try await errand.json(["task", "get", child, "-o", "json"]), fromAPI))
            #expect(
                Self.same(
                    try await errand.json(["task", "attempts", child, "-o", "json"]),
                    try await api.object("GET", "/v1/tasks/\(child)/attempts")
                )
            )
            // The task manager's status of the tree, one task and recursive, and the module's task stats.
            let status = try await errand.json(["task", "status", parent, "-o", "json"])
            #expect(Self.same(status, try await api.call("GET", "/task_manager/task_status/\(parent)")))
            #expect(
                Self.same(
                    try await errand.json(["task", "status", parent, "--recursive", "-o", "json"]),
                    try await api.call("GET", "/task_manager/task_status_recursive/\(parent)")
                )
            )
            #expect(
                Self.same(
                    try await errand.json(["module", "tasks", "m", "-o", "json"]),
                    try await api.call("GET", "/task_manager/list_module_tasks/m")
                )
            )
            let listed = try await errand.json(["task", "list", "--module", "m", "-o", "json"]) as? [Any]
            #expect(Self.same(listed, try await api.object("GET", "/v1/tasks?module=m")["tasks"]))

            // Queues (with their counts), workers (read until two API answers agree: heartbeats move them), dead letters.
            #expect(Self.same(try await errand.json(["queue", "list", "-o", "json"]), try await api.object("GET", "/v1/queues")["queues"]))
            #expect(Self.same(try await errand.json(["stats", "-o", "json"]), try await api.object("GET", "/v1/statistics")["queues"]))
            var workersAgreed = false
            var lastWorkers: (shown: Any?, answered: Any?)
            for _ in 0..<10 where !workersAgreed {
                let before = try await api.object("GET", "/v1/workers")["workers"]
                let shown = try await errand.json(["worker", "list", "-o", "json"])
                let after = try await api.object("GET", "/v1/workers")["workers"]
                workersAgreed = Self.same(before, after) && Self.same(shown, after)
                lastWorkers = (shown, after)
            }
            #expect(workersAgreed, "errand worker list never printed what GET /v1/workers answered: \(lastWorkers)")
            let broken = try #require(try await api.object("POST", "/v1/tasks", #"{"handler": "shape.broken"}"#)["id"] as? String)
            let queue = try errand.openDatabase()
            try await queue.write { db in try db.execute(sql: "UPDATE errand_task SET tags = 'not json' WHERE id = ?", arguments: [broken]) }
            _ = try await errand.json(["task", "list", "-o", "json"])  // a listing moves the row to the dead letters
            let letters = try await api.object("GET", "/v1/dead-letters")["dead_letters"] as? [Any]
            #expect(letters?.count == 1)
            #expect(Self.same(try await errand.json(["task", "list", "--state", "deadletter", "-o", "json"]), letters))
        }
    }
}
