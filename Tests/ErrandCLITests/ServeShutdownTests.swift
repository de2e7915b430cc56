import ErrandTesting
import Foundation
import Testing

/// `errand serve` stops promptly on SIGTERM while clients follow its event stream (a dashboard left open): the
/// stream ends at once and the client resumes elsewhere, instead of holding the shutdown until the server's
/// shutdown timeout. Real-time: it starts processes with Foundation's `Process`, whose `run()` over-reads memory
/// while many descriptors are open (swift-corelibs-foundation #5472; it crashed the fast step once beside the other
/// suites).
@Suite(.timeLimit(.minutes(2)), .tags(.realTime)) struct ServeShutdownTests {
    @Test func anOpenEventStreamDoesNotHoldTheShutdown() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let serve = try errand.serve()
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let output = directory.appendingPathComponent("events.txt")
            let follower = try ChildProcess(
                "/usr/bin/curl",
                ["-sN", "-o", output.path, url + "/v1/events"],
                environment: ProcessInfo.processInfo.environment,
                output: "/dev/null"
            )
            await eventually("the stream to open") { ((try? String(contentsOf: output, encoding: .utf8)) ?? "").contains("errand state changes") }
            let started = Date()
            serve.terminate()
            // Before the fix it took the server's 30 s shutdown timeout.
            let status = await serve.waitForExit(timeout: 10)
            #expect(status == 0, "serve exited with \(status.map(String.init) ?? "nothing") after \(Date().timeIntervalSince(started)) s")
            #expect(await follower.waitForExit(timeout: 10) != nil, "the stream did not end")
        }
    }
}
