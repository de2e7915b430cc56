import ErrandTesting
import Foundation
import Testing

/// A worker in another language over the HTTP API: `examples/remote-worker.py` (Python, standard library only)
/// against a real `errand serve`, with the events stream and `/metrics` watching.
@Suite(.timeLimit(.minutes(5))) struct RemoteWorkerTests {
    static let admin = "e2e-admin-token-0123456789abcdef"
    static let read = "e2e-read-token-0123456789abcdef"
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/remote-worker.py")

    @Test func aPythonWorkerClaimsHeartbeatsAndCompletesATaskThatEventsAndMetricsShow() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let serve = try errand.serve(
                [],
                environment: ["ERRAND_HTTP_ADMIN_TOKENS": Self.admin, "ERRAND_HTTP_READ_TOKENS": Self.read, "ERRAND_HTTP_MAX_WAIT": "1"]
            )
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let api = HTTPTestClient(baseURL: url, token: Self.admin)
            let reader = HTTPTestClient(baseURL: url, token: Self.read)

            // A lease of 1.5 s and a handler that takes 1.2 s: the worker must heartbeat to keep it.
            let created = try await api.send(
                "POST",
                "/v1/tasks",
                json: #"{"handler": "py.word_count", "arguments": {"text": "one two three", "sleep": 1.2}, "time_to_resolve": 1.5}"#
            )
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.object["id"] as? String)

            let worker = try await ErrandBinary.runProgram(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", Self.example.path, "--url", url, "--max-tasks", "1", "--name", "py-e2e"],
                environment: ["ERRAND_TOKEN": Self.admin]
            )
            #expect(worker.status == 0, "\(worker.stderr)")
            #expect(worker.stderr.contains("heartbeat \(id) attempt 1"), "\(worker.stderr)")
            #expect(worker.stderr.contains("\(id) completed"), "\(worker.stderr)")

            let task = try await reader.send("GET", "/v1/tasks/\(id)")
            #expect(task.object["state"] as? String == "completed")
            #expect((task.object["result"] as? [String: Any])?["words"] as? Int == 3)
            let attempts = try await reader.send("GET", "/v1/tasks/\(id)/attempts")
            #expect((attempts.object["attempts"] as? [[String: Any]])?.map { $0["worker"] as? String } == ["py-e2e"])

            // The stream from the start of the log (it ends after ERRAND_HTTP_MAX_WAIT).
            let events = try await reader.send("GET", "/v1/events?task_id=\(id)&after=0")
            let transitions = events.text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap { line -> String? in
                guard let data = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] else { return nil }
                return "\(data["from"] as? String ?? "new")>\(data["to"] as? String ?? "?")"
            }
            #expect(transitions == ["new>pending", "pending>running", "running>completed"], "\(events.text)")

            let metrics = try await reader.send("GET", "/metrics").text
            for line in [
                #"errand_tasks_enqueued_total{queue="default"} 1"#,
                #"errand_tasks_claimed_total{queue="default"} 1"#,
                #"errand_tasks_finished_total{queue="default",outcome="succeeded"} 1"#,
                #"errand_queue_tasks{queue="default",state="completed"} 1.0"#,
                "errand_leader 1.0",
            ] {
                #expect(metrics.contains(line), "/metrics lacks \(line):\n\(metrics)")
            }
        }
    }

    @Test func aWorkerThatFailsInputWithoutRetryAndOneThatFailsForGood() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let serve = try errand.serve([], environment: ["ERRAND_HTTP_ADMIN_TOKENS": Self.admin])
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let api = HTTPTestClient(baseURL: url, token: Self.admin)
            let bad = try await api.send("POST", "/v1/tasks", json: #"{"handler": "py.word_count", "arguments": {"text": 5}}"#)
            let failing = try await api.send(
                "POST",
                "/v1/tasks",
                json: #"{"handler": "py.fail", "retry": {"max_attempts": 2, "delay": 0}}"#
            )
            let worker = try await ErrandBinary.runProgram(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", Self.example.path, "--url", url, "--max-tasks", "3"],
                environment: ["ERRAND_TOKEN": Self.admin]
            )
            #expect(worker.status == 0, "\(worker.stderr)")
            let badTask = try await api.send("GET", "/v1/tasks/\(bad.object["id"] as? String ?? "")")
            #expect(badTask.object["state"] as? String == "failed")
            #expect(badTask.object["attempt"] as? Int == 1, "a ValueError is not retried")
            #expect(badTask.object["last_error"] as? String == "arguments.text must be a string")
            let failed = try await api.send("GET", "/v1/tasks/\(failing.object["id"] as? String ?? "")")
            #expect(failed.object["state"] as? String == "failed")
            #expect(failed.object["attempt"] as? Int == 2)
        }
    }
}
