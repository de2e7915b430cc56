import ErrandTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Nodes ride out a PostgreSQL outage longer than every heartbeat limit, and run new work soon after it ends.
@Suite(.serialized, .timeLimit(.minutes(4)), .tags(.realTime)) struct PostgresOutageTests {
    @Test func nodesOutliveAnOutageLongerThanTheirHeartbeatExpiration() async throws {
        try await TemporaryDirectory.with { directory in
            let server = try await ThrowawayPostgres.start(in: directory)
            defer { server.stop() }
            let errand = ErrandBinary(directory: directory, postgresURL: server.url)
            _ = try await errand.ok(["migrate"])
            // Default heartbeat settings (10 s expiration): the outage below is longer.
            let nodes = [
                try errand.serve(["--worker", "serve-1"]),
                try errand.serve(["--worker", "worker-1"], command: "worker"),
            ]
            defer { for node in nodes where node.isRunning { kill(node.processIdentifier, SIGKILL) } }
            let first = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "1"])
            #expect(try await eventually(timeout: 30, every: 0.1, "the first task done") { try await errand.state(first) == "completed" })
            // Both nodes up before the outage (a node that starts during one waits for the store: its own test).
            let registered = try await eventually(timeout: 30, every: 0.1, "both nodes registered") {
                let workers = try await errand.json(["worker", "list", "--state", "running", "-o", "json"]) as? [[String: Any]] ?? []
                return Set(workers.compactMap { $0["lease_name"] as? String }) == ["serve-1", "worker-1"]
            }
            #expect(registered, "\(errand.nodeLogs())")
            _ = await errand.apiURL()

            try await server.ctl(["stop"])
            let outage = 15.0
            try await Task.sleep(for: .seconds(outage))
            for node in nodes { #expect(node.isRunning, "a node stopped during the outage:\n\(errand.nodeLogs())") }
            // Readiness answers at once, with a reason an operator can read.
            let api = try #require(await errand.apiURL())
            let asked = Date()
            let (body, response) = try await URLSession.shared.data(from: try #require(URL(string: "\(api)/readyz")))
            let took = Date().timeIntervalSince(asked)
            let reason = String(decoding: body, as: UTF8.self)
            #expect((response as? HTTPURLResponse)?.statusCode == 503)
            #expect(took < 1.5, "/readyz took \(took) s")
            #expect(reason.contains("cannot reach PostgreSQL") || reason.contains("did not answer within 1 s"), "\(reason)")
            #expect(!reason.contains("PSQLError") && !reason.contains("ConnectionPoolError"), "\(reason)")
            try await server.ctl(["start"])
            let back = Date()

            let second = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "2"])
            let done = try await eventually(timeout: 30, every: 0.05, "a task added after the outage done") {
                try await errand.state(second) == "completed"
            }
            #expect(done, "\(errand.nodeLogs())")
            let started = try await errand.json(["task", "get", second, "-o", "json"]) as? [String: Any]
            let startedAt = try #require(started.flatMap { ScheduleEndToEndTests.time($0, "started_at") })
            let resumedAfter = startedAt.timeIntervalSince(back)
            print("PostgresOutageTests: a task added after a \(outage) s outage started \(resumedAfter) s after the server was back")
            #expect(resumedAfter < 5, "the nodes took \(resumedAfter) s to resume:\n\(errand.nodeLogs())")
            for node in nodes { #expect(node.isRunning, "a node stopped after the outage:\n\(errand.nodeLogs())") }
            // Every node is registered and running again (rejoined if the leader had salvaged it).
            let workers = try await errand.json(["worker", "list", "--state", "running", "-o", "json"]) as? [[String: Any]] ?? []
            #expect(Set(workers.compactMap { $0["lease_name"] as? String }) == ["serve-1", "worker-1"], "\(workers)")
            for node in nodes { node.terminate() }
            for node in nodes { #expect(await node.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())") }
        }
    }
}
