import ErrandTesting
import Foundation
import Testing

/// Child-process workers on several machines' worth of processes sharing one PostgreSQL store.
@Suite(.serialized, .timeLimit(.minutes(5)), .tags(.realTime)) struct ProcessWorkerClusterTests {
    @Test func twoWorkersRunTwoHundredTasksAndTheirFollowUpsExactlyOnce() async throws {
        try await MultiNodeTests.withCluster { cluster in
            let errand = cluster.errand
            _ = try await errand.ok(["create-queue", "batch"])
            // Every tenth task asks for a follow-up through output/postHooks.json.
            let specs = (0..<200).map { $0 % 10 == 0 ? "payload: chain-\($0)" : "payload: item-\($0)" }.joined(separator: "\n---\n")
            let ids = try await errand.ok(["add-task", "batch", "-f", "-"], stdin: specs).split(separator: "\n")
            #expect(ids.count == 200)
            let log = errand.directory.appendingPathComponent("runs.log").path
            let workers = try ["pod-a", "pod-b"].map { name in
                try errand.serve(
                    [
                        "--name", name, "--queue", "batch", "--concurrency", "4", "--exit-on-empty", "--exit-on-empty-grace-period", "2",
                        "--work-dir", errand.directory.appendingPathComponent(name).path, "--cleanup-workspace", "--",
                        ProcessWorkerTests.handler,
                    ],
                    command: "worker",
                    environment: ["HANDLER_LOG": log]
                )
            }
            defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
            for worker in workers { #expect(await worker.waitForExit(timeout: 120) == 0, "\(errand.nodeLogs())") }

            // 200 tasks and 20 follow-ups, each run exactly once, all succeeded.
            let runs = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(runs.count == 220)
            #expect(Set(runs.map { $0.split(separator: " ")[0] }).count == 220)
            #expect(try await cluster.count("SELECT count(*) FROM \(cluster.schema).task WHERE state = 'completed' AND attempt = 1") == 220)
            #expect(try await cluster.count("SELECT count(*) FROM \(cluster.schema).attempt") == 220)
            #expect(try await cluster.doubleSuccesses() == 0)
            #expect(try await cluster.count("SELECT count(*) FROM \(cluster.schema).task WHERE parent_id IS NOT NULL") == 20)
            // Both workers took a share.
            let byWorker = try await cluster.database.integers(
                "SELECT count(*)::int FROM \(cluster.schema).attempt GROUP BY split_part(worker, ':', 1) ORDER BY 1"
            )
            #expect(byWorker.count == 2 && byWorker.allSatisfy { $0 > 0 }, "\(byWorker)")
            // Results as pftaskqueue's get-task shows them.
            let yaml = try await errand.ok(["get-task", "batch", "--state", "succeeded", "--output", "yaml"])
            #expect(yaml.components(separatedBy: "- uid: ").count == 221)
            #expect(yaml.contains("payload: ITEM-1\n") && yaml.contains("payload: CHAIN-10-CHILD"), "\(yaml.prefix(2000))")
            // --cleanup-workspace left no workspace behind.
            for name in ["pod-a", "pod-b"] {
                let root = errand.directory.appendingPathComponent(name).path
                let left = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.contains("input") }
                #expect(left.isEmpty, "\(left.prefix(3))")
            }
        }
    }

    @Test func aWorkerKilledMidTaskIsLostThenSalvagedAndItsTasksRunElsewhere() async throws {
        try await MultiNodeTests.withCluster { cluster in
            let errand = cluster.errand
            let script = try errand.script("slow.sh", "read -r ws\nsleep 2\ncat \"$ws/input/payload\" > \"$ws/output/payload\"\n")
            _ = try await errand.ok(["migrate"])
            // The leader (it salvages) runs none of these tasks: it has no errand.process handler.
            let leader = try errand.serve(["--worker", "leader"])
            defer { if leader.isRunning { kill(leader.processIdentifier, SIGKILL) } }
            let ids = try await errand.ok(["task", "add", "-f", "-"], stdin: (1...6).map { "payload: p\($0)" }.joined(separator: "\n---\n"))
                .split(separator: "\n").map(String.init)
            let timing = ["--heartbeat-interval", "0.5", "--heartbeat-expiration", "2", "--salvage-after", "2", "--no-lead"]
            let doomed = try errand.serve(["--name", "doomed", "--concurrency", "3"] + timing + ["--", script.path], command: "worker")
            defer { if doomed.isRunning { kill(doomed.processIdentifier, SIGKILL) } }
            let holding = try await eventually(timeout: 30, every: 0.1, "doomed holds 3 tasks") {
                try await cluster.count("SELECT count(*) FROM \(cluster.schema).task WHERE state = 'running' AND worker LIKE 'doomed:%'") == 3
            }
            #expect(holding, "\(errand.nodeLogs())")
            kill(doomed.processIdentifier, SIGKILL)
            _ = await doomed.waitForExit()

            // `lost` lasts about `--salvage-after` (2 s) before the salvage: a busy machine's CLI polls may only see
            // it salvaged, which passed through lost (the salvage takes only lost workers).
            let lost = try await eventually(timeout: 30, every: 0.2, "doomed lost") {
                (try await errand.json(["worker", "list", "--state", "lost", "--state", "salvaged", "-o", "json"]) as? [[String: Any]])?
                    .first?["name"] as? String == "doomed"
            }
            #expect(lost, "\(errand.nodeLogs())")
            let salvaged = try await eventually(timeout: 30, every: 0.2, "doomed salvaged") {
                (try await errand.json(["get-worker", "--state", "salvaged", "-o", "json"]) as? [[String: Any]])?.first?["name"] as? String
                    == "doomed"
            }
            #expect(salvaged, "\(errand.nodeLogs())")

            let survivor = try errand.serve(
                ["--name", "survivor", "--concurrency", "3", "--exit-on-empty", "--exit-on-empty-grace-period", "2"] + timing + ["--", script.path],
                command: "worker"
            )
            #expect(await survivor.waitForExit(timeout: 60) == 0, "\(errand.nodeLogs())")
            // Nothing lost: every task succeeded once; the three doomed held were salvaged, not left to their leases.
            #expect(try await cluster.completed() == 6)
            #expect(try await cluster.doubleSuccesses() == 0)
            var salvagedAttempts = 0
            for id in ids {
                let listed = try #require(try await errand.json(["task", "attempts", id, "-o", "json"]) as? [String: Any])
                let attempts = listed["attempts"] as? [[String: Any]] ?? []
                #expect(attempts.last?["outcome"] as? String == "succeeded" && (attempts.last?["worker"] as? String)?.hasPrefix("survivor:") == true)
                salvagedAttempts += attempts.filter { $0["outcome"] as? String == "lost" && $0["salvaged_by"] != nil }.count
            }
            #expect(salvagedAttempts == 3)
            let states = try #require(try await errand.json(["worker", "list", "-o", "json"]) as? [[String: Any]])
            #expect(
                Set(states.compactMap { "\($0["name"] ?? ""):\($0["state"] ?? "")" }) == ["doomed:salvaged", "survivor:succeeded", "leader:running"]
            )
            leader.terminate()
            #expect(await leader.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
        }
    }
}
