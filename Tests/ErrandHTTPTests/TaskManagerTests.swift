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
            #expect(modules.status == 200)
            #expect(Self.array(modules) as? [String] == ["compaction", "repair"])

            let roots = try await server.send("GET", "/task_manager/list_module_tasks/repair", token: TestServer.readToken)
            #expect(roots.status == 200, "\(roots.text)")
            let listed = Self.array(roots) as? [[String: Any]] ?? []
            #expect(listed.count == 1)
            #expect(Set(listed.first?.keys ?? [:].keys) == Self.statsFields)
            #expect(listed.first?["task_id"] as? String == root.id.rawValue)
            #expect(listed.first?["state"] as? String == "running" && listed.first?["type"] as? String == "repair")
            #expect(listed.first?["kind"] as? String == "local" && listed.first?["sequence_number"] as? Int == 1)

            let all = try await server.send("GET", "/task_manager/list_module_tasks/repair?internal=true", token: TestServer.readToken)
            #expect((Self.array(all) as? [[String: Any]])?.count == 3)
            let ks2 = try await server.send("GET", "/task_manager/list_module_tasks/repair?internal=true&keyspace=ks2")
            #expect((Self.array(ks2) as? [[String: Any]])?.map { $0["keyspace"] as? String } == ["ks2"])
            let unknown = try await server.send("GET", "/task_manager/list_module_tasks/nothing")
            #expect(unknown.status == 404)
            #expect((unknown.object["detail"] as? String)?.contains("modules: compaction, repair") == true, "\(unknown.text)")
        }
    }

    @Test func taskStatusAndRecursiveStatusAnswerScyllaFieldsAndRemoveNothing() async throws {
        try await TestServer.with { server in
            let (root, done, open) = try await Self.tree(server)
            let status = try await server.send("GET", "/task_manager/task_status/\(root.id)", token: TestServer.readToken)
            #expect(status.status == 200, "\(status.text)")
            let object = status.object
            #expect(Set(object.keys) == Self.statusFields)
            #expect(object["state"] as? String == "running" && object["parent_id"] as? String == TaskManagerFields.nilUUID)
            #expect(object["children_ids"] as? [String] == [open.id.rawValue, done.id.rawValue])
            #expect(object["progress_completed"] as? Double == 4 && object["progress_total"] as? Double == 11)
            #expect(object["end_time"] as? String == "1970-01-01T00:00:00Z" && object["error"] as? String == "")
            #expect(object["is_abortable"] as? Bool == true && object["shard"] as? Int == 0)

            let recursive = try await server.send("GET", "/task_manager/task_status_recursive/\(root.id)", token: TestServer.readToken)
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
            let missing = try await server.send("GET", "/task_manager/task_status/\(UUID().uuidString.lowercased())")
            #expect(missing.status == 404)
        }
    }

    @Test func abortWaitAndDrainAnswerScyllaFields() async throws {
        try await TestServer.with { server in
            let (root, _, open) = try await Self.tree(server)
            let guarded = try await server.client.enqueue(NewTask(handler: "h", module: "repair", isAbortable: false)).task
            let refused = try await server.send("POST", "/task_manager/abort_task/\(guarded.id)")
            #expect(refused.status == 403, "\(refused.text)")
            #expect((refused.object["detail"] as? String)?.contains("not abortable") == true)
            #expect(refused.object["type"] as? String == "https://errand.dev/problems/not-abortable")
            let byReader = try await server.send("POST", "/task_manager/abort_task/\(root.id)", token: TestServer.readToken)
            #expect(byReader.status == 403)

            let timedOut = try await server.send("GET", "/task_manager/wait_task/\(root.id)?timeout=0.2", token: TestServer.readToken)
            #expect(timedOut.status == 200, "\(timedOut.text)")
            #expect(Set(timedOut.object.keys) == Self.statusFields)
            #expect(timedOut.object["state"] as? String == "running", "the status as it is when the timeout passes")

            let aborted = try await server.send("POST", "/task_manager/abort_task/\(root.id)")
            #expect(aborted.status == 200, "\(aborted.text)")
            #expect(Set(aborted.object.keys) == Self.statusFields)
            #expect(aborted.object["state"] as? String == "failed" && aborted.object["error"] as? String == "aborted")
            #expect(try await server.client.task(open.id)?.state == .cancelled)
            let again = try await server.send("POST", "/task_manager/abort_task/\(root.id)")
            #expect(again.status == 409)

            let waited = try await server.send("GET", "/task_manager/wait_task/\(root.id)?timeout=5", token: TestServer.readToken)
            #expect(waited.status == 200)
            #expect(Set(waited.object.keys) == Self.statusFields)
            #expect(waited.object["end_time"] as? String != "1970-01-01T00:00:00Z")

            // 65 letters with a combining mark each: 130 code points, past the module's 128.
            let marked = String(repeating: "e\u{301}", count: 65).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""
            let tooLong = try await server.send("POST", "/task_manager/drain/\(marked)")
            #expect(tooLong.status == 400, "\(tooLong.text)")
            let drained = try await server.send("POST", "/task_manager/drain/repair")
            #expect(drained.status == 200, "\(drained.text)")
            #expect(drained.object["deleted"] as? Int == 3)
            #expect(try await server.client.task(root.id) == nil)
            #expect(try await server.client.task(guarded.id) != nil, "an unfinished tree is not drained")
        }
    }

    @Test func ttlAndUserTTLAnswerTheValueAndSetAnswersThePreviousOne() async throws {
        try await TestServer.with { server in
            for (path, configured) in [("ttl", 7 * 86_400), ("user_ttl", 7 * 86_400)] {
                let current = try await server.send("GET", "/task_manager/\(path)", token: TestServer.readToken)
                #expect(current.status == 200 && current.text == "\(configured)")
                let set = try await server.send("POST", "/task_manager/\(path)?ttl=30")
                #expect(set.status == 200 && set.text == "\(configured)", "\(set.text)")
                #expect(try await server.send("GET", "/task_manager/\(path)").text == "30")
                #expect(try await server.send("POST", "/task_manager/\(path)?ttl=-1").status == 400)
                #expect(try await server.send("POST", "/task_manager/\(path)?ttl=5", token: TestServer.readToken).status == 403)
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

/// ScyllaDB's conventions the answers follow.
enum TaskManagerFields {
    static let nilUUID = "00000000-0000-0000-0000-000000000000"
}
