import ErrandTesting
import Foundation
import Testing

/// `errand task tree|status|abort`, `errand module list|tasks|drain`, `errand ttl get|set`: on the store, and over a
/// server's HTTP API.
@Suite(.timeLimit(.minutes(5))) struct TreeCommandTests {
    /// A repair root with two keyspace sub-tasks (the second not abortable) and a table under the first; none runs.
    static func buildTree(_ run: ([String]) async throws -> String) async throws -> (root: String, ks1: String, ks2: String, table: String) {
        let root = try await run(["task", "add", "--handler", "errand.echo", "--module", "repair", "--type", "repair", "--scope", "cluster"])
        let ks1 = try await run([
            "task", "add", "--handler", "errand.echo", "--parent", root, "--scope", "keyspace", "--keyspace", "ks1", "--internal",
        ])
        let ks2 = try await run([
            "task", "add", "--handler", "errand.echo", "--parent", root, "--scope", "keyspace", "--keyspace", "ks2", "--internal", "--not-abortable",
        ])
        let table = try await run([
            "task", "add", "--handler", "errand.echo", "--parent", ks1, "--scope", "table", "--keyspace", "ks1", "--table", "t1", "--internal",
        ])
        return (root, ks1, ks2, table)
    }

    @Test func treeStatusAbortModulesAndTTLOnTheStore() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let ids = try await Self.buildTree { try await errand.ok($0) }

            let drawn = try await errand.ok(["task", "tree", ids.root]).split(separator: "\n").map(String.init)
            #expect(drawn.count == 4)
            #expect(drawn[0].hasPrefix("\(ids.root)  repair [cluster]  pending  0/2"))
            #expect(drawn[1].hasPrefix("├── \(ids.ks1)  errand.echo [keyspace ks1]  pending"))
            #expect(drawn[2].hasPrefix("│   └── \(ids.table)  errand.echo [table ks1 t1]"))
            #expect(drawn[3].hasPrefix("└── \(ids.ks2)  errand.echo [keyspace ks2]"))
            let nested = try #require(try await errand.json(["task", "tree", ids.root, "-o", "json"]) as? [String: Any])
            #expect((nested["children"] as? [[String: Any]])?.count == 2)

            let status = try #require(try await errand.json(["task", "status", ids.root, "-o", "json"]) as? [String: Any])
            #expect(status["state"] as? String == "created" && status["type"] as? String == "repair")
            #expect((status["children_ids"] as? [[String: String]])?.map { $0["task_id"] } == [ids.ks1, ids.ks2])
            #expect(status["progress_total"] as? Int == 2 && status["sequence_number"] as? Int == 1)
            let recursive = try #require(try await errand.json(["task", "status", ids.root, "--recursive", "-o", "json"]) as? [[String: Any]])
            #expect(recursive.map { $0["id"] as? String } == [ids.root, ids.ks1, ids.ks2, ids.table], "breadth first")

            #expect(try await errand.ok(["module", "list"]) == "repair")
            #expect(try await errand.ok(["module", "tasks", "repair"]).split(separator: "\n").count == 2, "a header and the root")
            #expect(try await errand.ok(["module", "tasks", "repair", "--internal"]).split(separator: "\n").count == 5)
            let unknown = try await errand.run(["module", "tasks", "nothing"])
            #expect(unknown.status == 1 && unknown.stderr.contains("no module named nothing"))

            let refused = try await errand.run(["task", "abort", ids.ks2])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("task \(ids.ks2) is not abortable"), "\(refused.stderr)")
            #expect(try await errand.ok(["task", "abort", ids.root, "--reason", "operator"]) == "\(ids.root) cancelled with 2 descendants")
            #expect(try await errand.state(ids.table) == "cancelled")
            #expect(try await errand.state(ids.ks2) == "pending")
            let again = try await errand.run(["task", "abort", ids.root])
            #expect(again.status == 1 && again.stderr.contains("already finished"))
            #expect(try await errand.ok(["module", "drain", "repair"]) == "drained 0 tasks of module repair", "ks2 is unfinished")

            #expect(try await errand.ok(["ttl", "get"]) == "604800 (configured; none set at run time)")
            #expect(try await errand.ok(["ttl", "set", "3600", "--user"]) == "user ttl 3600")
            #expect(try await errand.ok(["ttl", "get", "--user"]) == "3600")
            let negative = try await errand.runBare(["ttl", "set"] + errand.storeArguments + ["--", "-5"])
            #expect(negative.status == 2 && negative.stderr.contains("ttl must be a whole number of seconds >= 0, got -5"))
        }
    }

    @Test func treeStatusModulesAndTTLOverHTTP() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let serve = try errand.serve(["--capacity", "1"], environment: ["ERRAND_HTTP_ADMIN_TOKENS": RemoteCLITests.admin])
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let remote = { (arguments: [String]) in
                let result = try await errand.runBare(arguments + ["--server", url, "--token", RemoteCLITests.admin])
                #expect(result.status == 0, "errand \(arguments.joined(separator: " ")): \(result.stderr)")
                return result.stdout
            }
            let ids = try await Self.buildTree(remote)
            #expect(try await remote(["task", "wait", ids.root, "--timeout", "30"]) == "{}")
            let drawn = try await remote(["task", "tree", ids.root]).split(separator: "\n")
            #expect(drawn.count == 4 && drawn[0].hasPrefix("\(ids.root)  repair [cluster]  completed  2/2"), "\(drawn)")
            let subtree = try await remote(["task", "tree", ids.ks1]).split(separator: "\n")
            #expect(subtree.count == 2 && subtree[1].contains("\(ids.table)  errand.echo [table ks1 t1]  completed  1/1  (folded)"))
            let status = try #require(
                try JSONSerialization.jsonObject(with: Data(try await remote(["task", "status", ids.ks1, "-o", "json"]).utf8)) as? [String: Any]
            )
            #expect(status["state"] as? String == "done")
            #expect((status["children_ids"] as? [[String: String]])?.map { $0["task_id"] } == [ids.table])
            #expect(try await remote(["module", "list"]) == "repair")
            #expect(try await remote(["module", "tasks", "repair"]).split(separator: "\n").count == 2, "a header and the root")
            #expect(try await remote(["module", "tasks", "repair", "--internal"]).split(separator: "\n").count == 2, "the children are folded")
            #expect(try await remote(["ttl", "get"]) == "604800")
            #expect(try await remote(["ttl", "set", "120"]) == "ttl 120")
            #expect(try await remote(["ttl", "get"]) == "120")
            #expect(try await remote(["module", "drain", "repair"]) == "drained 4 tasks of module repair")
        }
    }
}
