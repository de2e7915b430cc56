import ErrandTesting
import Foundation
import Testing

/// A node on a store URL that lists several servers follows the one that takes writes, without a restart.
///
/// Two independent servers stand for a primary and its standby: one is turned read-only as a demoted primary is,
/// the other is stopped as a failed primary is. (Replication itself, with Patroni promoting a real standby, is
/// `scripts/chaos pg-failover`.)
@Suite(.timeLimit(.minutes(5)), .tags(.realTime)) struct PostgresFailoverTests {
    @Test func aNodeFollowsTheWritableServerOfAMultiHostURL() async throws {
        try await TemporaryDirectory.with { directory in
            async let startingFirst = ThrowawayPostgres.start(in: directory)
            async let startingSecond = ThrowawayPostgres.start(in: directory)
            let (first, second) = try await (startingFirst, startingSecond)
            defer {
                first.stop()
                second.stop()
            }
            // The schema a standby would hold by replication.
            for server in [first, second] { _ = try await ErrandBinary(directory: directory, postgresURL: server.url).ok(["migrate"]) }
            let errand = ErrandBinary(
                directory: directory,
                postgresURL: "postgres://errand@127.0.0.1:\(first.port),127.0.0.1:\(second.port)/postgres?poll_interval=0.2"
            )
            let node = try errand.serve(["--worker", "node-1"])
            defer { if node.isRunning { kill(node.processIdentifier, SIGKILL) } }
            func completed(on server: ThrowawayPostgres) async throws -> Int {
                try await TestDatabase.with(url: server.url) { database in
                    try await database.count("SELECT count(*) FROM errand.task WHERE state = 'completed'")
                }
            }
            func setReadOnly(_ on: Bool, _ server: ThrowawayPostgres) async throws {
                try await TestDatabase.with(url: server.url) { database in
                    try await database.execute(
                        on ? "ALTER SYSTEM SET default_transaction_read_only = on" : "ALTER SYSTEM RESET default_transaction_read_only"
                    )
                    #expect(try await database.count("SELECT pg_reload_conf()::int") == 1)
                }
            }
            let five = "[" + Array(repeating: #"{"handler":"errand.echo","args":1}"#, count: 5).joined(separator: ",") + "]"
            func followed(_ server: ThrowawayPostgres, completed expected: Int, _ what: String) async throws {
                let done = try await eventually(timeout: 10, every: 0.1, what) { try await completed(on: server) == expected }
                if !done { Issue.record("node log:\n\(errand.nodeLogs())") }
            }

            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: five)
            try await followed(first, completed: 5, "the node works on the first server while it takes writes")

            // The first server turns read-only, as a demoted primary does: new work goes to the second, and the node
            // leaves the first at its next write.
            try await setReadOnly(true, first)
            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: five)
            try await followed(second, completed: 5, "the node moved to the second server within 10 s")
            #expect(errand.nodeLogs(lines: 200).contains("now on 127.0.0.1:\(second.port)"), "the move is logged")

            // The second fails, and the first takes writes again: the node goes back.
            try await setReadOnly(false, first)
            second.stop()
            _ = try await errand.ok(["task", "add", "-f", "-"], stdin: five)
            try await followed(first, completed: 10, "the node moved back to the first server within 10 s")

            #expect(node.isRunning, "the node restarted or died instead of following")
            node.terminate()
            #expect(await node.waitForExit() == 0, "node log:\n\(errand.nodeLogs())")
        }
    }
}
