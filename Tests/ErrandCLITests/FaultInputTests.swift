import ErrandTesting
import Foundation
import GRDB
import Testing

/// Input that Errand once read in part, or silently wrong, is now read whole or refused with its reason, and every
/// other task stays as it was.
@Suite(.timeLimit(.minutes(3))) struct FaultInputTests {
    /// Twenty tasks that no fault may touch.
    static func addBystanders(_ errand: ErrandBinary) async throws -> String {
        let spec = (1...20).map { #"{"handler":"errand.echo","args":\#($0)}"# }.joined(separator: "\n")
        _ = try await errand.ok(["task", "add", "-f", "-"], stdin: spec)
        return try await errand.ok(["task", "list", "-o", "json", "--limit", "100"])
    }

    @Test func jsonLinesAddEveryLine() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let lines = (1...5).map { #"{"handler":"errand.echo","args":{"n":\#($0)}}"# }.joined(separator: "\n") + "\n"
            let ids = try await errand.ok(["task", "add", "-f", "-"], stdin: lines).split(separator: "\n")
            #expect(ids.count == 5)
            let arguments = try await errand.tasks().compactMap { ($0["arguments"] as? [String: Any])?["n"] as? Int }
            #expect(Set(arguments) == [1, 2, 3, 4, 5])
        }
    }

    /// Specs that a reader once took in part, with the reason each is now refused.
    static let partialSpecs: [(spec: String, message: String)] = {
        let echo = #"{"handler":"errand.echo"}"#
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let deepArguments: String =
            #"{"handler":"errand.echo","args":"# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        return [
            (echo + "\ngarbage here\n", "spec line 2: is not a JSON value"),
            (echo + "\n\n" + #"{"handler":"errand.echo""# + "\n", "spec line 3: is not a JSON value"),
            ("{\n  \"handler\": \"errand.echo\"\n}\nthis is not part of it\n", "spec line 4: unexpected text after the document"),
            ("{handler: errand.echo}\n]\n", "spec line 2: unexpected text after the document"),
            (deep, "spec: nests 100000 levels deep"),
            (deepArguments, "spec: nests 201 levels deep; a task spec may nest at most 64"),
        ]
    }()

    @Test(arguments: 0..<6)
    func aSpecReadOnlyInPartIsRefusedAndStoresNothing(_ index: Int) async throws {
        let (spec, message) = Self.partialSpecs[index]
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let before = try await Self.addBystanders(errand)
            let result = try await errand.run(["task", "add", "-f", "-"], stdin: spec)
            #expect(result.status == 2)
            #expect(result.stderr.contains(message), "stderr was: \(result.stderr.prefix(300))")
            #expect(!result.stderr.contains("is empty"))
            #expect(try await errand.ok(["task", "list", "-o", "json", "--limit", "100"]) == before)
        }
    }

    @Test func aMisspeltVariableIsReportedWithTheNameItMeant() async throws {
        let result = try await ErrandBinary.runProgram(
            ErrandBinary.executable,
            ["cron", "next", "@every 1s"],
            environment: ["ERRAND_ADMIN_TOKEN": "0123456789abcdef", "ERRAND_HTTP_READ_TOKENS": "fedcba9876543210"]
        )
        #expect(result.status == 0)
        #expect(
            result.stderr.contains(
                "errand: warning: ERRAND_ADMIN_TOKEN is set but errand reads no such variable; it is ignored (did you mean ERRAND_HTTP_ADMIN_TOKENS?)"
            ),
            "stderr was: \(result.stderr)"
        )
        #expect(!result.stderr.contains("ERRAND_HTTP_READ_TOKENS is set"))
    }

    @Test func configCheckReportsADefinitionWhoseQueueIsMissing() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            _ = try await errand.ok(["queue", "create", "reports"])
            let file = directory.appendingPathComponent("errand.yaml")
            try """
            tasks:
              good:
                kind: periodical
                handler: errand.echo
                schedule: "@every 1s"
                queue: reports
              bad:
                kind: periodical
                handler: errand.echo
                schedule: "@every 1s"
                queue: nowhere
            """.write(to: file, atomically: true, encoding: .utf8)
            let result = try await errand.run(["config", "check", file.path])
            #expect(result.status == 2)
            #expect(result.stdout.contains("bad: periodical, errand.echo, schedule \"@every 1s\" (UTC); queue \"nowhere\" does not exist"))
            #expect(result.stderr.contains("tasks.bad.queue: queue \"nowhere\" does not exist in SQLite database"), "\(result.stderr)")
            _ = try await errand.ok(["queue", "create", "nowhere"])
            let fixed = try await errand.run(["config", "check", file.path])
            #expect(fixed.status == 0, "\(fixed.stderr)")
            #expect(fixed.stdout.hasPrefix("\(file.path): ok, 2 task definitions"))
        }
    }

    /// Each way a row can be damaged outside Errand, as SQL run on the file, and whether a claim reads such a row
    /// (a row in no claimable state, or never due, is found by listings only).
    static let corruptions: [(name: String, sql: String, claimed: Bool)] = [
        ("unknown state", "UPDATE errand_task SET state = 'bogus' WHERE id = ?", false),
        ("text in a time column", "UPDATE errand_task SET run_at = 'soon' WHERE id = ?", false),
        ("text in a numeric column", "UPDATE errand_task SET priority = 'high' WHERE id = ?", true),
        ("text in a real column", "UPDATE errand_task SET time_to_resolve = 'long' WHERE id = ?", true),
        ("arguments not JSON", "UPDATE errand_task SET arguments = '{not json' WHERE id = ?", true),
        ("arguments not UTF-8", "UPDATE errand_task SET arguments = CAST(X'22FF22' AS TEXT) WHERE id = ?", true),
    ]

    /// Each corruption found by a listing, and those a claim reads found by the claim.
    static let corruptionCases: [(String, Bool)] = corruptions.flatMap { corruption in
        corruption.claimed ? [(corruption.name, true), (corruption.name, false)] : [(corruption.name, true)]
    }

    @Test(arguments: corruptionCases)
    func aCorruptRowIsDeadLetteredAndEverythingGoesOnAroundIt(_ name: String, listedFirst: Bool) async throws {
        let sql = try #require(Self.corruptions.first { $0.name == name }?.sql)
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            // The damaged task waits in a suspended queue, so that the node cannot run it before it is damaged.
            _ = try await errand.ok(["queue", "create", "paused"])
            let victim = try await errand.ok(["task", "add", "--handler", "errand.echo", "--queue", "paused", "--args", #"{"v":1}"#])
            _ = try await errand.ok(["queue", "suspend", "paused"])
            _ = try await Self.addBystanders(errand)
            let bystanders = try await errand.tasks(["--limit", "100"]).compactMap { $0["id"] as? String }.filter { $0 != victim }
            let queue = try errand.openDatabase()
            try await queue.write { db in try db.execute(sql: sql, arguments: [victim]) }

            if listedFirst {
                // The listing answers without the damaged row.
                let listed = try await errand.run(["task", "list", "-o", "json", "--limit", "100"])
                #expect(listed.status == 0, "stderr: \(listed.stderr)")
                #expect(try await errand.tasks(["--limit", "100"]).compactMap { $0["id"] as? String } == bystanders)
            }
            // Found by the listing or by the claim, it is never run, and the bystanders are.
            _ = try await errand.ok(["queue", "resume", "paused"])
            let node = try errand.serve(["--http", "off"])
            defer { node.terminate() }
            let done = try await eventually(timeout: 30, every: 0.1, "the bystanders completed") {
                try await errand.tasks(["--state", "completed", "--limit", "100"]).count == 20
            }
            #expect(done, "\(errand.nodeLogs())")
            let letters = try await eventually(timeout: 10, every: 0.1, "the damaged row dead-lettered") {
                (try await errand.json(["task", "list", "--state", "deadletter", "-o", "json"]) as? [[String: Any]])?.count == 1
            }
            #expect(letters)
            let error = (try await errand.json(["task", "list", "--state", "deadletter", "-o", "json"]) as? [[String: Any]])?.first?["error"]
            #expect((error as? String)?.contains("task \(victim) is corrupt: column") == true, "\(String(describing: error))")
            node.terminate()
            _ = await node.waitForExit()
            let after = try await errand.tasks(["--limit", "100"])
            #expect(after.compactMap { $0["id"] as? String } == bystanders)
            #expect(after.allSatisfy { $0["state"] as? String == "completed" })
            let attempts = try await queue.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM errand_attempt WHERE task_id = ?", arguments: [victim])
            }
            #expect(attempts == 0, "the damaged task ran")
        }
    }
}
