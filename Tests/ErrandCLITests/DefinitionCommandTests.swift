import ErrandTesting
import Foundation
import Testing

/// `errand definition list|put|delete`: the stored task definitions, on the store and over `--server`.
@Suite(.timeLimit(.minutes(5))) struct DefinitionCommandTests {
    static let spec = """
        kind: periodical
        func_name: errand.echo
        schedule: '* * * * * *'
        args: {from: cli}
        """

    @Test func definitionsArePutListedAndDeletedOnTheStore() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            #expect(try await errand.ok(["definition", "put", "every_second", "-f", "-"], stdin: Self.spec) == "every_second")
            let listed = try #require(try await errand.json(["definition", "list", "-o", "json"]) as? [[String: Any]])
            #expect(listed.map { $0["name"] as? String } == ["every_second"])
            #expect(listed.first?["source"] as? String == "api" && listed.first?["kind"] as? String == "periodical")
            #expect((listed.first?["next_runs"] as? [String])?.count == 3)
            #expect(try await errand.ok(["definition", "list"]).contains("every_second  periodical  errand.echo"))

            let again = try await errand.run(["definition", "put", "every_second", "-f", "-", "--create-only"], stdin: Self.spec)
            #expect(again.status == 2 && again.stderr.contains("exists already"), "\(again.stderr)")
            let broken = try await errand.run(
                ["definition", "put", "broken", "-f", "-"],
                stdin: "kind: periodical\nfunc_name: errand.echo\nschedule: nope\n"
            )
            #expect(broken.status == 2 && broken.stderr.contains("tasks.broken.schedule"), "\(broken.stderr)")
            let list = try await errand.run(["definition", "put", "listed", "-f", "-"], stdin: "- kind: single_shot\n")
            #expect(list.status == 2 && list.stderr.contains("must be a mapping"), "\(list.stderr)")

            // The node launches it like the file's.
            let serve = try errand.serve()
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            await eventually(every: 0.25, "a launch of the stored definition") {
                (try? await errand.tasks(["--module", "every_second"]).isEmpty) == false
            }
            #expect(try await errand.ok(["definition", "delete", "every_second"]) == "every_second")
            let gone = try await errand.run(["definition", "delete", "every_second"])
            #expect(gone.status == 1 && gone.stderr.contains("no stored task definition \"every_second\""), "\(gone.stderr)")
            #expect((try await errand.json(["definition", "list", "-o", "json"]) as? [Any])?.isEmpty == true)
        }
    }

    @Test func overTheServerTheFilesNamesAreRefused() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let config = directory.appendingPathComponent("errand.yaml")
            try "tasks:\n  from_file:\n    kind: single_shot\n    func_name: errand.echo\n".write(to: config, atomically: true, encoding: .utf8)
            let serve = try errand.serve(["--config", config.path])
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            func remote(_ arguments: [String], stdin: String? = nil) async throws -> ErrandBinary.Result {
                try await errand.runBare(arguments + ["--server", url], stdin: stdin)
            }
            let put = try await remote(["definition", "put", "remote_made", "-f", "-"], stdin: Self.spec)
            #expect(put.status == 0 && put.stdout == "remote_made", "\(put.stderr)")
            let listed = try await remote(["definition", "list", "-o", "json"])
            let names = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["remote_made"], "only the stored ones: \(listed.stdout)")
            let fromFile = try await remote(["definition", "put", "from_file", "-f", "-"], stdin: Self.spec)
            #expect(fromFile.status == 1 && fromFile.stderr.contains("comes from the server's configuration file"), "\(fromFile.stderr)")
            #expect(try await remote(["definition", "delete", "remote_made"]).status == 0)
            #expect(try await remote(["definition", "delete", "remote_made"]).status == 1)
        }
    }
}
