import ErrandTesting
import Foundation
import Testing

/// `errand config check` and `print-default` on real files.
@Suite(.timeLimit(.minutes(5))) struct ConfigCommandTests {
    static let tarantool = """
        tasks:
          my_reload: {kind: periodical, func_name: my_module.cache_reload, schedule: "0 */5 * * * *", time_to_resolve: 180}
          my_flush:  {kind: single_shot, func_name: my_module.cache_flush, args: [a, b]}
          push_metrics: {kind: continuous, func_name: my_module.push_metrics, pause_sec: 30}
        task_storage: {task_ttr: 60, task_log_max_size: 100}
        task_runner: {capacity: 128}

        """

    static let invalid: [(String, String, String)] = [
        (
            "bad cron", #"tasks: {my_reload: {kind: periodical, func_name: m.f, schedule: "0 61 * * * *"}}"#,
            #"tasks.my_reload.schedule: field 2 "61": minute must be 0-59"#
        ),
        ("unknown kind", "tasks: {x: {kind: sometimes, func_name: m.f}}", "tasks.x.kind: must be periodical, continuous or single_shot"),
        ("missing func_name", "tasks: {x: {kind: continuous}}", "tasks.x.func_name: is required"),
        ("negative pause", "tasks: {x: {kind: continuous, func_name: m.f, pause_sec: -1}}", "tasks.x.pause_sec: must be a number of seconds >= 0"),
        ("YAML syntax error", "tasks:\n  x: {kind: continuous, func_name: m.f\n", "not valid YAML"),
        ("unquoted cron", "tasks: {x: {kind: periodical, func_name: m.f, schedule: */5 * * * * *}}", "must be quoted"),
    ]

    /// Writes `text` to a file in `directory` and runs `errand config check` on it.
    static func check(_ text: String, in directory: URL) async throws -> ErrandBinary.Result {
        let file = directory.appendingPathComponent("errand.yaml")
        try Data(text.utf8).write(to: file)
        return try await ErrandBinary(directory: directory).runBare(["config", "check", file.path])
    }

    @Test func tarantoolsExampleChecksOut() async throws {
        try await TemporaryDirectory.with { directory in
            let result = try await Self.check(Self.tarantool, in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("ok, 3 task definitions"))
            #expect(result.stdout.contains(#"my_reload: periodical, my_module.cache_reload, schedule "0 */5 * * * *" (UTC)"#))
        }
    }

    @Test(arguments: invalid.map(\.0))
    func invalidFilesExitTwoWithPathAndReason(_ name: String) async throws {
        let (_, text, message) = try #require(Self.invalid.first { $0.0 == name })
        try await TemporaryDirectory.with { directory in
            let result = try await Self.check(text, in: directory)
            #expect(result.status == 2)
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func theDefaultFileChecksOutAndNamesEveryKey() async throws {
        try await TemporaryDirectory.with { directory in
            let printed = try await ErrandBinary(directory: directory).runBare(["config", "print-default"])
            #expect(printed.status == 0)
            let result = try await Self.check(printed.stdout, in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            let keys = [
                "kind", "func_name", "command", "args", "schedule", "timezone", "skip_if_outstanding", "catch_up", "time_to_resolve", "queue",
                "priority", "max_attempts", "delay", "delay_factor", "max_delay", "jitter", "priority_decrement", "pause_sec",
                "task_ttr", "task_log_max_size", "finished_ttl", "capacity", "name", "concurrency", "handlers", "default_timeout",
                "kill_grace", "work_dir", "cleanup_workspace", "exit_on_suspend", "exit_on_empty", "exit_on_empty_grace_period", "num_tasks",
                "heartbeat_interval", "heartbeat_expiration", "salvage_after", "num_worker_salvage_on_start",
            ]
            for key in keys { #expect(printed.stdout.contains("\(key):"), "print-default does not show \(key)") }
            // The reference documents every key too.
            let reference = try String(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("docs/configuration.md"),
                encoding: .utf8
            )
            for key in keys { #expect(reference.contains("`\(key)`"), "docs/configuration.md does not document \(key)") }
        }
    }

    @Test func aMissingFileIsBadInput() async throws {
        let result = try await ErrandBinary(directory: URL(fileURLWithPath: NSTemporaryDirectory())).runBare([
            "config", "check", "/no/such/errand.yaml",
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/no/such/errand.yaml: cannot read the file"))
    }
}
