import ErrandTesting
import Foundation
import PostgresNIO
import Testing

/// Nodes outlive a restart of their PostgreSQL server and finish the run with nothing lost.
@Suite(.timeLimit(.minutes(5)), .tags(.realTime)) struct PostgresRestartTests {
    @Test func nodesReconnectAfterAServerRestartAndLoseNothing() async throws {
        try await TemporaryDirectory.with { directory in
            let server = try await ThrowawayPostgres.start(in: directory)
            defer { server.stop() }
            let errand = ErrandBinary(directory: directory, postgresURL: server.url)
            _ = try await errand.ok(["migrate"])
            let nodes = [
                try errand.serve(["--worker", "serve-1", "--capacity", "16"]),
                try errand.serve(["--worker", "worker-1", "--capacity", "16"], command: "worker"),
            ]
            defer { for node in nodes where node.isRunning { kill(node.processIdentifier, SIGKILL) } }

            let total = 3_000
            let spec = "[" + Array(repeating: #"{"handler":"errand.sleep","args":0.2}"#, count: total).joined(separator: ",") + "]"
            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: spec)
            func completed() async throws -> Int {
                let stats = try await errand.json(["stats", "-o", "json"]) as? [[String: Any]]
                return stats?.compactMap { ($0["counts"] as? [String: Int])?["completed"] }.reduce(0, +) ?? 0
            }
            try await eventually(timeout: 60, every: 0.1, "the first hundred tasks done") { try await completed() >= 100 }

            #expect(try await completed() < total, "the run ended before the restart; the test proves nothing")
            try await server.ctl(["stop"])
            try await Task.sleep(for: .seconds(1))
            try await server.ctl(["start"])

            let done = try await eventually(timeout: 120, every: 0.1, "every task completed after the restart") { try await completed() == total }
            if !done { Issue.record("node logs:\n\(errand.nodeLogs())") }
            for node in nodes { #expect(node.isRunning, "a node died with its database") }
            try await TestDatabase.with(url: server.url) { (database: TestDatabase) async throws in
                #expect(try await database.count("SELECT count(*) FROM errand.task") == total, "a task was lost or duplicated")
                #expect(try await database.count("SELECT count(*) FROM errand.task WHERE state = 'completed'") == total)
                // A completion lost in the restart may make a task run again (at-least-once), but never succeed twice.
                #expect(
                    try await database.count(
                        "SELECT count(*) FROM (SELECT task_id FROM errand.attempt WHERE outcome = 'succeeded' GROUP BY task_id HAVING count(*) > 1) d"
                    ) == 0
                )
                #expect(try await database.count("SELECT count(DISTINCT worker) FROM errand.attempt") == 2)
            }
            for node in nodes { node.terminate() }
            for node in nodes { #expect(await node.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())") }
        }
    }
}
