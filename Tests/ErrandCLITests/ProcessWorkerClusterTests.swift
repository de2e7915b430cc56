import ErrandTesting
import Foundation
import Testing

/// Child-process workers on several machines' worth of processes sharing one PostgreSQL store.
@Suite(.serialized) struct ProcessWorkerClusterTests {
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
            #expect(yaml.components(separatedBy: "- id: ").count == 221)
            #expect(yaml.contains("result: ITEM-1\n") && yaml.contains("result: CHAIN-10-CHILD"))
            // --cleanup-workspace left no workspace behind.
            for name in ["pod-a", "pod-b"] {
                let root = errand.directory.appendingPathComponent(name).path
                let left = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.contains("input") }
                #expect(left.isEmpty, "\(left.prefix(3))")
            }
        }
    }
}
