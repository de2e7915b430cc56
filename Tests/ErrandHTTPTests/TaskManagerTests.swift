import Errand
import ErrandCore
import ErrandStore
import ErrandTesting
import Foundation
import Testing

/// ScyllaDB's task manager paths: each answers with ScyllaDB's field names, over a real port and a real store.
@Suite(.timeLimit(.minutes(5))) struct TaskManagerTests {
    static let statusFields: Set<String> = [
        "id", "type", "kind", "scope", "state", "is_abortable", "start_time", "end_time", "error", "parent_id",
        "sequence_number", "shard", "keyspace", "table", "entity", "progress_units", "progress_total", "progress_completed",
        "children_ids",
    ]
    static let statsFields: Set<String> = [
        "task_id", "state", "type", "kind", "scope", "keyspace", "table", "entity", "sequence_number", "shard", "start_time",
        "end_time",
    ]

    /// A repair root (running, awaiting nothing yet) with two keyspace children, one of them finished; answers the ids.
    static func tree(_ server: TestServer) async throws -> (root: TaskRecord, done: TaskRecord, open: TaskRecord) {
        let store = server.store
        let now = Date()
        let root = try await store.enqueue(
            [NewTask(handler: "repair.cluster", module: "repair", type: "repair", scope: "cluster", isUserTask: true)],
            now: now
        )[0].task
        let running = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
        let children = try await store.enqueue(
            (1...2).map {
                NewTask(
                    handler: "repair.keyspace",
                    parentID: root.id,
                    isInternal: true,
                    progressUnits: "ranges",
                    scope: "keyspace",
                    keyspace: "ks\($0)"
                )
            },
            now: now
        ).map(\.task)
        let first = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
        _ = try await store.reportProgress(try #require(first.lease), completed: 3, total: 10, now: now)
        _ = try await store.finish([Finish(lease: try #require(running.lease), outcome: .succeeded)], now: now)
        let second = try #require(try await store.claim(ClaimRequest(worker: "w", limit: 1, now: now)).first)
        _ = try await store.finish([Finish(lease: try #require(second.lease), outcome: .succeeded)], now: now)
        #expect(second.id == children[1].id)
        return (root, children[1], children[0])
    }

    static func array(_ answer: HTTPAnswer) -> [Any] { ((try? JSONSerialization.jsonObject(with: answer.body)) as? [Any]) ?? [] }

    @Test func listModulesAndModuleTasksAnswerScyllaFields() async throws {
        try await TestServer.with { server in
            let (root, _, _) = try await Self.tree(server)
            _ = try await server.client.enqueue(NewTask(handler: "compact", module: "compaction"))
            let modules = try await server.send("GET", "/task_manager/list_modules", token: TestServer.readToken)
            Scylla.expect(modules, 200, is: "modules")
            #expect(Self.array(modules) as? [String] == ["compaction", "repair"])

            let roots = try await server.send("GET", "/task_manager/list_module_tasks/repair", token: TestServer.readToken)
            Scylla.expect(roots, 200, is: "task_stats", array: true)
            let listed = Self.array(roots) as? [[String: Any]] ?? []
            #expect(listed.count == 1)
            #expect(Set(listed.first?.keys ?? [:].keys) == Self.statsFields)
            #expect(listed.first?["task_id"] as? String == root.id.rawValue)
            #expect(listed.first?["state"] as? String == "running" && listed.first?["type"] as? String == "repair")
            #expect(listed.first?["kind"] as? String == "node" && listed.first?["sequence_number"] as? Int == 1)

            let all = try await server.send("GET", "/task_manager/list_module_tasks/repair?internal=true", token: TestServer.readToken)
            Scylla.expect(all, 200, is: "task_stats", array: true)
            #expect((Self.array(all) as? [[String: Any]])?.count == 3)
            let ks2 = try await server.send("GET", "/task_manager/list_module_tasks/repair?internal=true&keyspace=ks2")
            Scylla.expect(ks2, 200, is: "task_stats", array: true)
            #expect((Self.array(ks2) as? [[String: Any]])?.map { $0["keyspace"] as? String } == ["ks2"])
            // An unknown module is a bad parameter to ScyllaDB: 400.
            let unknown = try await server.send("GET", "/task_manager/list_module_tasks/nothing")
            Scylla.expect(unknown, 400)
            #expect(
                (unknown.object["message"] as? String)?.contains("module nothing not found; modules: compaction, repair") == true,
                "\(unknown.text)"
            )
        }
    }

    @Test func taskStatusAndRecursiveStatusAnswerScyllaFieldsAndRemoveNothing() async throws {
        try await TestServer.with { server in
            let (root, done, open) = try await Self.tree(server)
            let status = try await server.send("GET", "/task_manager/task_status/\(root.id)", token: TestServer.readToken)
            Scylla.expect(status, 200, is: "task_status")
            let object = status.object
            #expect(Set(object.keys) == Self.statusFields)
            #expect(object["state"] as? String == "running" && object["parent_id"] as? String == "none" && object["kind"] as? String == "node")
            let children = object["children_ids"] as? [[String: String]]
            #expect(children?.map { $0["task_id"] } == [open.id.rawValue, done.id.rawValue])
            #expect(children?.map { $0["node"] } == ["w", ""], "the worker that runs the open child; the finished one runs nowhere")
            #expect(object["progress_completed"] as? Double == 4 && object["progress_total"] as? Double == 11)
            #expect(object["end_time"] as? String == "1970-01-01T00:00:00Z" && object["error"] as? String == "")
            #expect(object["is_abortable"] as? Bool == true && object["shard"] as? Int == 0)

            let recursive = try await server.send("GET", "/task_manager/task_status_recursive/\(root.id)", token: TestServer.readToken)
            Scylla.expect(recursive, 200, is: "task_status", array: true)
            let statuses = Self.array(recursive) as? [[String: Any]] ?? []
            #expect(statuses.map { $0["id"] as? String } == [root.id, open.id, done.id].map(\.rawValue))
            #expect(statuses.allSatisfy { Set($0.keys) == Self.statusFields })
            #expect(statuses[2]["state"] as? String == "done" && statuses[2]["progress_units"] as? String == "ranges")
            #expect(statuses[1]["progress_completed"] as? Double == 3 && statuses[1]["progress_total"] as? Double == 10)
            #expect(statuses[1]["keyspace"] as? String == "ks1" && statuses[1]["parent_id"] as? String == root.id.rawValue)

            // The finished child, read twice: the same answer both times (ScyllaDB once unregistered it on read).
            let first = try await server.send("GET", "/task_manager/task_status/\(done.id)")
            let second = try await server.send("GET", "/task_manager/task_status/\(done.id)")
            #expect(first.status == 200 && second.status == 200 && first.text == second.text)
            #expect(first.object["state"] as? String == "done")
            // An unknown task is a bad parameter to ScyllaDB: 400, on every path that takes one.
            let nobody = UUID().uuidString.lowercased()
            for (method, path) in [
                ("GET", "task_status"), ("GET", "task_status_recursive"), ("GET", "wait_task"), ("POST", "abort_task"),
            ] {
                let missing = try await server.send(method, "/task_manager/\(path)/\(nobody)")
                Scylla.expect(missing, 400)
                #expect(missing.object["message"] as? String == "task with id \(nobody) not found", "\(missing.text)")
            }
        }
    }

    @Test func abortWaitAndDrainAnswerScyllaFields() async throws {
        try await TestServer.with { server in
            let (root, _, open) = try await Self.tree(server)
            let guarded = try await server.client.enqueue(NewTask(handler: "h", module: "repair", isAbortable: false)).task
            let refused = try await server.send("POST", "/task_manager/abort_task/\(guarded.id)")
            Scylla.expect(refused, 403)
            #expect(refused.object["message"] as? String == "task with id \(guarded.id) is not abortable", "\(refused.text)")
            let byReader = try await server.send("POST", "/task_manager/abort_task/\(root.id)", token: TestServer.readToken)
            Scylla.expect(byReader, 403)
            #expect(try await server.send("POST", "/task_manager/abort_task/\(root.id)", token: nil).status == 401)

            // Past its timeout, a wait is 408: a script waiting with nodetool never reads unfinished work as done.
            let timedOut = try await server.send("GET", "/task_manager/wait_task/\(root.id)?timeout=1", token: TestServer.readToken)
            Scylla.expect(timedOut, 408)
            #expect((timedOut.object["message"] as? String)?.hasPrefix("timedout") == true, "\(timedOut.text)")

            let aborted = try await server.send("POST", "/task_manager/abort_task/\(root.id)")
            Scylla.expect(aborted, 200)
            #expect(try await server.client.task(open.id)?.state == .cancelled)
            let after = try await server.send("GET", "/task_manager/task_status/\(root.id)")
            #expect(after.object["state"] as? String == "failed" && after.object["error"] as? String == "aborted")
            // A finished task has nothing left to abort.
            Scylla.expect(try await server.send("POST", "/task_manager/abort_task/\(root.id)"), 200)

            let waited = try await server.send("GET", "/task_manager/wait_task/\(root.id)?timeout=5", token: TestServer.readToken)
            Scylla.expect(waited, 200, is: "task_status")
            #expect(Set(waited.object.keys) == Self.statusFields)
            #expect(waited.object["end_time"] as? String != "1970-01-01T00:00:00Z")

            // 65 letters with a combining mark each: 130 code points, past the module's 128.
            let marked = String(repeating: "e\u{301}", count: 65).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""
            let tooLong = try await server.send("POST", "/task_manager/drain/\(marked)")
            Scylla.expect(tooLong, 400)
            Scylla.expect(try await server.send("POST", "/task_manager/drain/nothing"), 400)
            let drained = try await server.send("POST", "/task_manager/drain/repair")
            Scylla.expect(drained, 200)
            #expect(try await server.client.task(root.id) == nil)
            #expect(try await server.client.task(guarded.id) != nil, "an unfinished tree is not drained")
            // Drained empty, the module is still known: it lists nothing (200 []), not an unknown module.
            let last = try await server.store.claim(ClaimRequest(worker: "w", limit: 10, now: Date()))
            #expect(last.map(\.id) == [guarded.id])
            _ = try await server.store.finish([Finish(lease: try #require(last.first?.lease), outcome: .succeeded)], now: Date())
            Scylla.expect(try await server.send("POST", "/task_manager/drain/repair"), 200)
            let empty = try await server.send("GET", "/task_manager/list_module_tasks/repair")
            Scylla.expect(empty, 200, is: "task_stats", array: true)
            #expect(empty.text == "[]")
            #expect(Self.array(try await server.send("GET", "/task_manager/list_modules")) as? [String] == ["repair"])
        }
    }

    @Test func aGlobalTaskIsAClusterTaskWithARealStartTimeAndItsPartsNodes() async throws {
        try await TestServer.with { server in
            let store = server.store
            let created = Date()
            let global = try await store.enqueue([NewTask(handler: "h", module: "ops", locality: .global, targetWorker: "")], now: created)[0].task
            _ = try await store.enqueue(
                ["node-a", "node-b"].map { NewTask(handler: "h", parentID: global.id, isInternal: true, targetWorker: $0) },
                now: created
            )
            let status = try await server.send("GET", "/task_manager/task_status/\(global.id)")
            Scylla.expect(status, 200, is: "task_status")
            #expect(status.object["kind"] as? String == "cluster" && status.object["state"] as? String == "created")
            #expect(status.object["start_time"] as? String == created.iso8601Seconds, "a virtual task starts when it is created")
            let nodes = (status.object["children_ids"] as? [[String: String]])?.compactMap { $0["node"] }
            #expect(nodes?.sorted() == ["node-a", "node-b"], "a part's node is the worker it is meant for")
            let listed = try await server.send("GET", "/task_manager/list_module_tasks/ops")
            Scylla.expect(listed, 200, is: "task_stats", array: true)
            #expect((Self.array(listed) as? [[String: Any]])?.first?["kind"] as? String == "cluster")
            #expect((Self.array(listed) as? [[String: Any]])?.first?["start_time"] as? String == created.iso8601Seconds)
        }
    }

    @Test func ttlAndUserTTLAnswerTheValueAndSetAnswersThePreviousOne() async throws {
        try await TestServer.with { server in
            // ScyllaDB's parameter names: ttl for /ttl, user_ttl for /user_ttl.
            for (path, configured) in [("ttl", 7 * 86_400), ("user_ttl", 7 * 86_400)] {
                let current = try await server.send("GET", "/task_manager/\(path)", token: TestServer.readToken)
                Scylla.expect(current, 200, is: "ttl")
                #expect(current.text == "\(configured)")
                let set = try await server.send("POST", "/task_manager/\(path)?\(path)=30")
                Scylla.expect(set, 200, is: "ttl")
                #expect(set.text == "\(configured)", "\(set.text)")
                #expect(try await server.send("GET", "/task_manager/\(path)").text == "30")
                Scylla.expect(try await server.send("POST", "/task_manager/\(path)?\(path)=-1"), 400)
                Scylla.expect(try await server.send("POST", "/task_manager/\(path)"), 400)
                Scylla.expect(try await server.send("POST", "/task_manager/\(path)?\(path)=5", token: TestServer.readToken), 403)
            }
            #expect(try await server.store.ttl() == 30)
            #expect(try await server.store.ttl(user: true) == 30)
        }
    }

    @Test func theTreeOfATaskListsItsWholeTreeAsTasks() async throws {
        try await TestServer.with { server in
            let (root, done, open) = try await Self.tree(server)
            let answer = try await server.send("GET", "/v1/tasks/\(done.id)/tree", token: TestServer.readToken)
            #expect(answer.status == 200, "\(answer.text)")
            let tasks = answer.object["tasks"] as? [[String: Any]] ?? []
            #expect(tasks.map { $0["id"] as? String } == [root.id, open.id, done.id].map(\.rawValue))
            #expect(tasks.first?["has_children"] as? Bool == true && tasks.first?["user_task"] as? Bool == true)
            #expect(tasks.last?["scope"] as? String == "keyspace" && tasks.last?["sequence_number"] as? Int == 1)
            func listed(_ query: String) async throws -> [String] {
                let answer = try await server.send("GET", "/v1/tasks?module=repair&\(query)", token: TestServer.readToken)
                return (answer.object["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await listed("roots_only=true") == [root.id.rawValue])
            #expect(try await listed("include_internal=false") == [root.id.rawValue], "the keyspaces are internal")
            #expect(try await listed("include_folded=true").count == 3)
        }
    }
}

typealias Scylla = ScyllaTaskManagerSchemas
