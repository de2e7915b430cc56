import ErrandTesting
import Foundation
import Testing

/// The README's quick start and the durability promises, on the real binary.
@Suite(.serialized) struct QuickStartTests {
    @Test func echoTaskRunsAndSurvivesARestart() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve()
            let id = try errand.ok(["task", "add", "--handler", "errand.echo", "--args", #"{"x":1}"#])
            #expect(id.count == 36)
            #expect(try errand.ok(["task", "wait", id, "--timeout", "20"]) == #"{"x":1}"#)
            let table = try errand.ok(["task", "list", "-o", "table"])
            #expect(table.contains(id) && table.contains("completed"))

            server.terminate()
            #expect(await server.waitForExit() == 0)
            let restarted = try errand.serve()
            #expect(try errand.state(id) == "completed")
            let second = try errand.ok(["task", "add", "--handler", "errand.echo", "--args", "[2]"])
            #expect(try errand.ok(["task", "wait", second, "--timeout", "20"]) == "[2]")
            #expect(try errand.tasks().count == 2)
            restarted.terminate()
            #expect(await restarted.waitForExit() == 0)
        }
    }

    @Test func aTaskRunningWhenServeIsKilledIsRetriedAfterItsLeaseExpires() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve()
            // Long enough to be seen running even when the machine is busy (each check starts a process).
            let sleeper = try errand.ok(["task", "add", "--handler", "errand.sleep", "--args", "8", "--ttr", "2", "--retry-delay", "0"])
            let others = try (0..<5).map { try errand.ok(["task", "add", "--handler", "errand.echo", "--args", "\($0)", "--run-in", "1"]) }
            try await eventually(timeout: 30, every: 0.1, "sleep task running") { try errand.state(sleeper) == "running" }
            kill(server.processIdentifier, SIGKILL)
            _ = await server.waitForExit()
            #expect(try errand.state(sleeper) == "running")

            let restarted = try errand.serve()
            #expect(try errand.ok(["task", "wait", sleeper, "--timeout", "60"]) == #"{"slept":8.0}"#)
            let attempts =
                try #require(
                    try JSONSerialization.jsonObject(with: Data(try errand.ok(["task", "get", sleeper, "-o", "json"]).utf8)) as? [String: Any]
                )["attempts"] as? [[String: Any]]
            #expect(attempts?.compactMap { $0["outcome"] as? String } == ["lost", "succeeded"])
            for id in others { #expect(try errand.ok(["task", "wait", id, "--timeout", "30"]).count > 0) }
            #expect(try errand.tasks(["--state", "completed"]).count == 6)
            restarted.terminate()
            #expect(await restarted.waitForExit() == 0)
        }
    }

    @Test func sigtermGivesRunningTasksBackWithoutUsingAnAttempt() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve(["--grace", "0.5"])
            let id = try errand.ok(["task", "add", "--handler", "errand.sleep", "--args", "60", "--max-attempts", "1"])
            try await eventually(every: 0.1, "sleep task running") { try errand.state(id) == "running" }
            server.terminate()
            #expect(await server.waitForExit() == 0)
            let task = try #require(
                try JSONSerialization.jsonObject(with: Data(try errand.ok(["task", "get", id, "-o", "json"]).utf8)) as? [String: Any]
            )
            #expect(task["state"] as? String == "pending")
            #expect((task["attempts"] as? [[String: Any]])?.first?["outcome"] as? String == "signaled")
        }
    }
}
