import ErrandTesting
import Foundation
import GRDB
import Testing

/// Two `serve` processes on one SQLite file split the work, run each task once, and elect one leader.
@Suite(.timeLimit(.minutes(3)), .tags(.realTime)) struct SharedSQLiteTests {
    @Test func twoServeProcessesOnOneFileRunEveryTaskOnce() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["migrate"])
            let total = 2_000
            let spec = (1...total).map { _ in #"{"handler":"errand.sleep","args":0.005}"# }.joined(separator: "\n")
            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: spec)
            let nodes = [
                try errand.serve(["--worker", "first", "--capacity", "8"]),
                try errand.serve(["--worker", "second", "--capacity", "8"]),
            ]
            defer { for node in nodes where node.isRunning { kill(node.processIdentifier, SIGKILL) } }
            let database = try errand.openDatabase()
            let done = try await eventually(timeout: 120, every: 0.2, "every task completed") {
                try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM errand_task WHERE state = 'completed'") } == total
            }
            #expect(done, "\(errand.nodeLogs())")
            let leader = try await errand.ok(["leader"])
            #expect(["first", "second"].contains(leader))
            for node in nodes { #expect(node.isRunning) }
            for node in nodes { node.terminate() }
            for node in nodes { #expect(await node.waitForExit() == 0, "\(errand.nodeLogs())") }
            try await database.read { db in
                let succeeded = try Int.fetchOne(db, sql: "SELECT count(*) FROM errand_attempt WHERE outcome = 'succeeded'")
                #expect(succeeded == total, "a task succeeded twice, or not at all")
                let twice = try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM (SELECT task_id FROM errand_attempt GROUP BY task_id HAVING count(*) > 1)"
                )
                #expect(twice == 0, "a task was claimed twice")
                let workers = try String.fetchAll(db, sql: "SELECT DISTINCT worker FROM errand_attempt ORDER BY worker")
                #expect(workers == ["first", "second"], "both processes should have run tasks")
            }
        }
    }
}
