import ErrandTesting
import Foundation
import PostgresNIO
import Testing

/// Several `errand` processes on one PostgreSQL: shared work, exactly one leader, failover.
@Suite(.serialized, .timeLimit(.minutes(5)), .tags(.realTime)) struct MultiNodeTests {
    /// A fresh schema on the test server, with a client for checking the tables directly.
    struct Cluster {
        let errand: ErrandBinary
        let schema: String
        let database: TestDatabase

        func count(_ sql: String) async throws -> Int { try await database.count(sql) }

        /// Tasks whose launch log holds more than one successful attempt (must be none).
        func doubleSuccesses() async throws -> Int {
            try await count(
                "SELECT count(*) FROM (SELECT task_id FROM \(schema).attempt WHERE outcome = 'succeeded' GROUP BY task_id HAVING count(*) > 1) d"
            )
        }

        func completed() async throws -> Int {
            try await count("SELECT count(*) FROM \(schema).task WHERE state = 'completed'")
        }

        func leader() async throws -> String { try await errand.ok(["leader"]) }

        /// Enqueues `count` tasks in batches of 5,000 through `errand task add -f -`.
        func enqueue(_ count: Int, handler: String, args: String, extra: String = "") async throws {
            var remaining = count
            while remaining > 0 {
                let batch = min(5_000, remaining)
                let spec = "[" + Array(repeating: #"{"handler":"\#(handler)","args":\#(args)\#(extra)}"#, count: batch).joined(separator: ",") + "]"
                let ids = try await errand.ok(["task", "add", "-f", "-"], stdin: spec)
                #expect(ids.split(separator: "\n").count == batch)
                remaining -= batch
            }
        }
    }

    static func withCluster(_ body: (Cluster) async throws -> Void) async throws {
        guard let url = ProcessInfo.processInfo.environment["ERRAND_TEST_POSTGRES_URL"] else {
            Issue.record("ERRAND_TEST_POSTGRES_URL is not set; run scripts/test, which starts a throw-away PostgreSQL")
            return
        }
        let schema = "errand_nodes_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try await TestDatabase.with(url: url) { database in
            try await TemporaryDirectory.with { directory in
                let errand = ErrandBinary(directory: directory, postgresURL: url + "?schema=\(schema)")
                try await body(Cluster(errand: errand, schema: schema, database: database))
                try await database.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            }
        }
    }

    @Test func oneServeAndTwoWorkersDrainEveryTaskExactlyOnceAndSurviveKills() async throws {
        try await Self.withCluster { cluster in
            let errand = cluster.errand
            _ = try await errand.ok(["migrate"])
            let serve = try errand.serve(["--worker", "serve-1", "--capacity", "64", "--task-log-max-size", "100000"])
            let workers = try ["worker-1", "worker-2"].map {
                try errand.serve(["--worker", $0, "--capacity", "64", "--task-log-max-size", "100000"], command: "worker")
            }
            var nodes = [serve] + workers
            defer { for node in nodes where node.isRunning { kill(node.processIdentifier, SIGKILL) } }

            // Run 1: 10,000 tasks, three nodes, every task exactly once. (Kill churn at length is scripts/chaos's.)
            try await cluster.enqueue(10_000, handler: "errand.echo", args: "1")
            try await eventually(timeout: 120, every: 0.1, "10,000 tasks completed") { try await cluster.completed() == 10_000 }
            #expect(try await cluster.doubleSuccesses() == 0)
            #expect(try await cluster.count("SELECT count(*) FROM \(cluster.schema).attempt") == 10_000)
            #expect(try await cluster.count("SELECT count(DISTINCT worker) FROM \(cluster.schema).attempt") == 3)
            let firstLeader = try await cluster.leader()
            #expect(["serve-1", "worker-1", "worker-2"].contains(firstLeader))

            // Run 2: kill -9 the leader and one other node while tasks run; the survivor leads within 5 s, rescues
            // the dead nodes' tasks and finishes everything.
            try await cluster.enqueue(6_000, handler: "errand.sleep", args: "0.01", extra: #","ttr":2,"delay":0"#)
            try await eventually(timeout: 60, every: 0.1, "second run under way") { try await cluster.completed() >= 11_000 }
            let names = ["serve-1", "worker-1", "worker-2"]
            let leaderIndex = try #require(names.firstIndex(of: firstLeader))
            let victimIndex = (leaderIndex + 1) % 3
            let survivor = names[3 - leaderIndex - victimIndex]
            kill(nodes[victimIndex].processIdentifier, SIGKILL)
            kill(nodes[leaderIndex].processIdentifier, SIGKILL)
            let killedAt = Date()
            try await eventually(timeout: 10, every: 0.1, "\(survivor) leads") { try await cluster.leader() == survivor }
            let takeover = Date().timeIntervalSince(killedAt)
            #expect(takeover < 5, "leadership moved after \(takeover) s")
            try await eventually(timeout: 180, every: 0.1, "16,000 tasks completed") { try await cluster.completed() == 16_000 }
            #expect(try await cluster.doubleSuccesses() == 0)
            #expect(try await cluster.count("SELECT count(*) FROM \(cluster.schema).task WHERE state <> 'completed'") == 0)
            nodes = nodes.filter(\.isRunning)
            for node in nodes { node.terminate() }
            for node in nodes { #expect(await node.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())") }
        }
    }
}
