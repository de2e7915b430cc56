import ErrandTesting
import Foundation
import Testing

/// `errand task disable|enable NAME`: a definition's schedule off and on for the whole cluster.
@Suite(.timeLimit(.minutes(5))) struct DefinitionSwitchTests {
    @Test func aDisabledDefinitionIsNotLaunchedByServeUntilEnabled() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let config = directory.appendingPathComponent("errand.yaml")
            try """
            tasks:
              every_second:
                kind: periodical
                func_name: errand.echo
                schedule: '* * * * * *'
            """.write(to: config, atomically: true, encoding: .utf8)
            #expect(try await errand.ok(["task", "disable", "every_second", "--config", config.path]) == "every_second disabled")
            let typo = try await errand.run(["task", "disable", "every_secnd", "--config", config.path])
            #expect(typo.status == 2)
            #expect(typo.stderr.contains("defines no task \"every_secnd\""), "\(typo.stderr)")
            let serve = try errand.serve(["--config", config.path])
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            _ = await errand.apiURL()
            try await Task.sleep(for: .seconds(2.5))
            #expect(try await errand.tasks(["--module", "every_second"]).isEmpty, "a disabled definition was launched")
            #expect(try await errand.ok(["task", "enable", "every_second"]) == "every_second enabled")
            await eventually(every: 0.25, "a launch after enabling") { (try? await errand.tasks(["--module", "every_second"]).isEmpty) == false }
        }
    }
}
