import ErrandTesting
import Foundation
import Testing

/// `errand serve --config examples/errand.yaml`: a periodical task every 2 s, a continuous one restarted after its
/// pause, a single-shot one started from the CLI, and a schedule changed by editing the file, without a restart.
@Suite(.timeLimit(.minutes(5)), .tags(.realTime)) struct ScheduleEndToEndTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/errand.yaml")

    /// Launches of a definition, oldest first.
    static func launches(_ errand: ErrandBinary, _ name: String) async throws -> [[String: Any]] {
        try await errand.tasks(["--module", name, "--limit", "1000"]).reversed()
    }

    static func time(_ task: [String: Any], _ key: String) -> Date? {
        guard let text = task[key] as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// Seconds between the run_at of consecutive launches.
    static func spacing(_ launches: [[String: Any]]) -> [Double] {
        zip(launches, launches.dropFirst()).compactMap { earlier, later in
            guard let a = time(earlier, "run_at"), let b = time(later, "run_at") else { return nil }
            return b.timeIntervalSince(a)
        }
    }

    @Test func theExampleConfigurationRunsAndFollowsEdits() async throws {
        try await TemporaryDirectory.with { directory in
            let config = directory.appendingPathComponent("errand.yaml")
            try Data(contentsOf: Self.example).write(to: config)
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve(["--config", config.path])
            defer { if server.isRunning { server.terminate() } }

            // Periodical: a launch every 2 s, on even seconds.
            let ticked = try await eventually(timeout: 15, every: 0.25, "three heartbeat launches") {
                try await Self.launches(errand, "heartbeat").count >= 3
            }
            #expect(ticked, "\(errand.nodeLogs())")
            let beats = try await Self.launches(errand, "heartbeat")
            #expect(Self.spacing(beats).allSatisfy { $0 == 2 }, "heartbeat slots: \(Self.spacing(beats))")
            #expect(
                beats.allSatisfy {
                    $0["state"] as? String == "completed" || $0["state"] as? String == "running" || $0["state"] as? String == "pending"
                }
            )

            // Continuous: each instance starts 1 s (pause_sec) after the previous one finished.
            let pumped = try await eventually(timeout: 30, every: 0.25, "three pump instances") {
                try await Self.launches(errand, "pump").filter { $0["state"] as? String == "completed" }.count >= 3
            }
            #expect(pumped, "\(errand.nodeLogs())")
            let pumps = try await Self.launches(errand, "pump").filter { $0["state"] as? String == "completed" }
            for (previous, next) in zip(pumps, pumps.dropFirst()) {
                let finished = try #require(Self.time(previous, "finished_at"))
                let start = try #require(Self.time(next, "run_at"))
                #expect(
                    abs(start.timeIntervalSince(finished) - 1) < 0.01,
                    "pump restarted \(start.timeIntervalSince(finished)) s after the last ended"
                )
            }
            #expect(try await errand.tasks(["--module", "pump", "--state", "pending", "--state", "running", "--state", "scheduled"]).count <= 1)

            // Single-shot: started by name, with the definition's arguments or others.
            let id = try await errand.ok(["task", "start", "flush", "--config", config.path])
            let flushed = try await eventually(timeout: 30, every: 0.25, "flush completed") { try await errand.state(id) == "completed" }
            #expect(flushed)
            let view = try await errand.ok(["task", "get", id, "-o", "json"])
            #expect(view.contains(#""module" : "flush""#) || view.contains(#""module": "flush""#), "\(view)")
            #expect(try await errand.ok(["task", "history", "flush"]).contains(id))
            let unknown = try await errand.run(["task", "start", "nope", "--config", config.path])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains(#"defines no task "nope""#))

            // Edit the schedule: every second from now on, without a restart.
            let text = try String(contentsOf: config, encoding: .utf8)
            try Data(text.replacingOccurrences(of: #""*/2 * * * * *""#, with: #""*/1 * * * * *""#).utf8).write(to: config)
            let reloaded = await eventually(timeout: 30, every: 0.25, "reload") { errand.nodeLogs(lines: 200).contains("configuration reloaded") }
            #expect(reloaded, "\(errand.nodeLogs())")
            let before = try await Self.launches(errand, "heartbeat").count
            let faster = try await eventually(timeout: 30, every: 0.25, "launches every second") {
                try await Self.launches(errand, "heartbeat").count >= before + 4
            }
            #expect(faster, "\(errand.nodeLogs())")
            let recent = try await Self.launches(errand, "heartbeat").suffix(3)
            #expect(Self.spacing(Array(recent)).allSatisfy { $0 == 1 }, "heartbeat slots after the edit: \(Self.spacing(Array(recent)))")

            // A broken edit is rejected whole; the running definitions stay.
            try Data(text.replacingOccurrences(of: #""*/2 * * * * *""#, with: #""*/2 61 * * * *""#).utf8).write(to: config)
            let rejected = await eventually(timeout: 30, every: 0.25, "rejection") { errand.nodeLogs(lines: 200).contains("configuration rejected") }
            #expect(rejected, "\(errand.nodeLogs())")
            #expect(errand.nodeLogs(lines: 200).contains(#"field 2 "61": minute must be 0-59"#))
            let count = try await Self.launches(errand, "heartbeat").count
            let still = try await eventually(timeout: 30, every: 0.25, "launches continue") {
                try await Self.launches(errand, "heartbeat").count >= count + 2
            }
            #expect(still, "\(errand.nodeLogs(lines: 80))")

            // SIGHUP re-reads the file too.
            kill(server.processIdentifier, SIGHUP)
            let hangUp = await eventually(timeout: 30, every: 0.25, "reload on SIGHUP") { errand.nodeLogs(lines: 400).contains("(SIGHUP)") }
            #expect(hangUp, "\(errand.nodeLogs())")

            // Statistics in Tarantool's vocabulary and spelling, per definition and over every task.
            #expect(try await errand.ok(["stats"]).contains("DID NOT START"))
            let breakdown = try #require(try await errand.json(["stats", "--definitions", "-o", "json"]) as? [String: Any])
            let definitions = try #require(breakdown["definitions"] as? [String: [String: Int]])
            #expect(definitions.keys.sorted() == ["flush", "heartbeat", "pump"])
            let counts = try #require(definitions["heartbeat"])
            #expect((counts["completed"] ?? 0) >= 5)
            #expect(Set(counts.keys) == ["stopped", "failed", "lost", "total", "completed", "pending", "did not start", "running", "unknown task"])
            #expect(counts["total"] == counts.filter { $0.key != "total" }.values.reduce(0, +))
            #expect(counts["unknown task"] == 0, "errand.echo runs on this node")
            server.terminate()
            #expect(await server.waitForExit() == 0, "\(errand.nodeLogs())")
        }
    }

    @Test func aDefinitionCreatedOverHTTPLaunchesAndSurvivesARestart() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let first = try errand.serve()
            defer { if first.isRunning { first.terminate() } }
            let api = ServeAPI(url: try #require(await errand.apiURL(), "\(errand.nodeLogs())"))
            let created = try await api.object(
                "POST",
                "/v1/definitions/beat",
                #"{"kind": "periodical", "func_name": "errand.echo", "schedule": "@every 1s", "args": {"from": "api"}}"#
            )
            #expect(created["source"] as? String == "api")
            let launched = try await eventually(timeout: 15, every: 0.25, "two launches of beat") {
                try await Self.launches(errand, "beat").count >= 2
            }
            #expect(launched, "\(errand.nodeLogs())")
            first.terminate()
            #expect(await first.waitForExit() == 0, "\(errand.nodeLogs())")
            let before = try await Self.launches(errand, "beat").count

            // A fresh clean start of the node on the same file: the definition is still there and launches again.
            try FileManager.default.removeItem(
                at: directory.appendingPathComponent(
                    try #require(
                        try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("serve-") }
                    )
                )
            )
            let second = try errand.serve()
            defer { if second.isRunning { second.terminate() } }
            let again = ServeAPI(url: try #require(await errand.apiURL(), "\(errand.nodeLogs())"))
            let listed = try await again.object("GET", "/v1/definitions")
            let names = (listed["definitions"] as? [[String: Any]])?.map { "\($0["name"] ?? "")/\($0["source"] ?? "")" }
            #expect(names == ["beat/api"])
            let resumed = try await eventually(timeout: 15, every: 0.25, "beat launches after the restart") {
                try await Self.launches(errand, "beat").count >= before + 2
            }
            #expect(resumed, "\(errand.nodeLogs())")
            let beats = try await Self.launches(errand, "beat")
            #expect(beats.allSatisfy { ($0["arguments"] as? [String: Any])?["from"] as? String == "api" })
            second.terminate()
            #expect(await second.waitForExit() == 0, "\(errand.nodeLogs())")
        }
    }
}
