import ErrandTesting
import Foundation
import Testing

/// The README's quick start and the durability promises, on the real binary.
@Suite(.serialized, .timeLimit(.minutes(5))) struct QuickStartTests {
    @Test func echoTaskRunsAndSurvivesARestart() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve()
            let id = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", #"{"x":1}"#])
            #expect(id.count == 36)
            #expect(try await errand.ok(["task", "wait", id, "--timeout", "20"]) == #"{"x":1}"#)
            let table = try await errand.ok(["task", "list", "-o", "table"])
            #expect(table.contains(id) && table.contains("completed"))

            server.terminate()
            #expect(await server.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
            let restarted = try errand.serve()
            #expect(try await errand.state(id) == "completed")
            let second = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "[2]"])
            #expect(try await errand.ok(["task", "wait", second, "--timeout", "20"]) == "[2]")
            #expect(try await errand.tasks().count == 2)
            restarted.terminate()
            #expect(await restarted.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
        }
    }

    @Test func aTaskRunningWhenServeIsKilledIsRetriedAfterItsLeaseExpires() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve()
            // Long enough to be seen running even when the machine is busy (each check starts a process).
            let sleeper = try await errand.ok(["task", "add", "--handler", "errand.sleep", "--args", "8", "--ttr", "2", "--retry-delay", "0"])
            var others: [String] = []
            for index in 0..<5 {
                others.append(try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "\(index)", "--run-in", "1"]))
            }
            try await eventually(timeout: 30, every: 0.1, "sleep task running") { try await errand.state(sleeper) == "running" }
            kill(server.processIdentifier, SIGKILL)
            _ = await server.waitForExit()
            #expect(try await errand.state(sleeper) == "running")

            let restarted = try errand.serve()
            #expect(try await errand.ok(["task", "wait", sleeper, "--timeout", "60"]) == #"{"slept":8.0}"#)
            let attempts =
                try #require(
                    try await errand.json(["task", "attempts", sleeper, "-o", "json"]) as? [String: Any]
                )["attempts"] as? [[String: Any]]
            #expect(attempts?.compactMap { $0["outcome"] as? String } == ["lost", "succeeded"])
            for id in others { #expect(try await errand.ok(["task", "wait", id, "--timeout", "30"]).count > 0) }
            #expect(try await errand.tasks(["--state", "completed"]).count == 6)
            restarted.terminate()
            #expect(await restarted.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
        }
    }

    @Test func sigtermGivesRunningTasksBackWithoutUsingAnAttempt() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve(["--grace", "0.5"])
            let id = try await errand.ok(["task", "add", "--handler", "errand.sleep", "--args", "60", "--max-attempts", "1"])
            try await eventually(every: 0.1, "sleep task running") { try await errand.state(id) == "running" }
            server.terminate()
            #expect(await server.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
            let task = try #require(
                try await errand.json(["task", "get", id, "-o", "json"]) as? [String: Any]
            )
            #expect(task["state"] as? String == "pending")
            let attempts = try await errand.json(["task", "attempts", id, "-o", "json"]) as? [String: Any]
            #expect((attempts?["attempts"] as? [[String: Any]])?.first?["outcome"] as? String == "signaled")
        }
    }
}
