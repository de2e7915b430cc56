import ErrandTesting
import Foundation
import Testing

/// Bad input gets a message naming the problem and a non-zero exit, and changes no other task.
@Suite(.timeLimit(.minutes(5))) struct BadInputTests {
    static let cases: [(String, [String], Int32, String)] = [
        ("unknown handler", ["task", "add", "--handler", "no.such"], 2, "unknown handler \"no.such\""),
        ("malformed JSON arguments", ["task", "add", "--handler", "errand.echo", "--args", "{x"], 2, "arguments: is not valid JSON"),
        ("out-of-range priority", ["task", "add", "--handler", "errand.echo", "--priority", "12"], 2, "priority: must be between 0 and 9, got 12"),
        ("unknown queue", ["task", "add", "--handler", "errand.echo", "--queue", "ghost"], 2, "queue \"ghost\" does not exist"),
        ("suspended queue", ["task", "add", "--handler", "errand.echo", "--queue", "paused"], 2, "queue \"paused\" is suspended"),
        ("zero attempts", ["task", "add", "--handler", "errand.echo", "--max-attempts", "0"], 2, "retry.max_attempts: must be at least 1"),
        ("negative delay", ["task", "add", "--handler", "errand.echo", "--retry-delay=-1"], 2, "retry.delay: must be a number of seconds >= 0"),
        ("factor below one", ["task", "add", "--handler", "errand.echo", "--retry-delay-factor", "0.5"], 2, "retry.delay_factor: must be >= 1"),
        ("bad run-at", ["task", "add", "--handler", "errand.echo", "--run-at", "tomorrow"], 2, "--run-at: \"tomorrow\" is not an ISO 8601 time"),
        ("not a task id", ["task", "get", "123"], 2, "\"123\" is not a task id"),
        ("unknown task", ["task", "get", "01a21005-5efd-7377-840a-2361ffc15c18"], 1, "no task with id 01a21005-5efd-7377-840a-2361ffc15c18"),
        ("unknown state", ["task", "list", "--state", "done"], 2, "unknown state \"done\""),
        ("duplicate queue", ["queue", "create", "paused"], 2, "queue \"paused\" already exists"),
        ("bad queue name", ["queue", "create", "a/b"], 2, "contains \"/\""),
        (
            "out-of-range retry decrement", ["queue", "create", "riak", "--retry-priority-decrement", "12"], 2,
            "retry_priority_decrement: must be between 0 and 9, got 12"
        ),
        ("delete unknown queue", ["queue", "delete", "ghost"], 2, "queue \"ghost\" does not exist"),
    ]

    @Test(arguments: cases.map(\.0))
    func badInputIsRefusedAndChangesNothing(_ name: String) async throws {
        let (_, arguments, status, message) = try #require(Self.cases.first { $0.0 == name })
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["queue", "create", "paused"])
            _ = try await errand.ok(["queue", "suspend", "paused"])
            _ = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "1"])
            let before = try await errand.ok(["task", "list", "-o", "json"])
            let result = try await errand.run(arguments)
            #expect(result.status == status)
            #expect(result.stderr.contains(message), "stderr was: \(result.stderr)")
            #expect(result.stderr.hasPrefix("errand: error: "))
            #expect(try await errand.ok(["task", "list", "-o", "json"]) == before)
        }
    }

    @Test func aBatchWithOneBadTaskStoresNone() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let spec = """
                tasks:
                  - {handler: errand.echo, args: {n: 1}}
                  - {handler: errand.echo, args: {n: 2}, priority: high}
                """
            let result = try await errand.run(["task", "add", "-f", "-"], stdin: spec)
            #expect(result.status == 2)
            #expect(result.stderr.contains("tasks[1].priority: must be an integer, got \"high\""))
            let unknownKey = try await errand.run(["task", "add", "-f", "-"], stdin: "handler: errand.echo\nprio: 1\n")
            #expect(unknownKey.status == 2 && unknownKey.stderr.contains("prio: is not a task field"))
            #expect(try await errand.tasks().isEmpty)
        }
    }

    @Test func anUnreadableDatabasePathIsReported() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory.appendingPathComponent("missing/deeper"))
            let result = try await errand.run(["task", "list"])
            #expect(result.status == 3)
            #expect(result.stderr.contains("cannot open database \(errand.database)"))
            let notADatabase = directory.appendingPathComponent("errand.db")
            try Data("this is not sqlite".utf8).write(to: notADatabase)
            let corrupt = try await ErrandBinary(directory: directory).run(["stats"])
            #expect(corrupt.status == 3)
            #expect(corrupt.stderr.contains("cannot open database"))
        }
    }
}
