import Errand
import ErrandTesting
import Foundation
import Testing

@testable import ErrandProcess

/// The child-process runner underneath `errand.command` and `errand worker -- CMD`.
@Suite(.timeLimit(.minutes(5))) struct ChildProcessTests {
    @Test func aChildStartedWhileAnotherRunsGetsNoneOfItsPipes() async throws {
        // Were a running child's pipes inherited by a child started meanwhile, the later child would hold the
        // earlier one's stdin open (its reader would never see end of file) and its output pipes too.
        try await TemporaryDirectory.with { directory in
            let lister = ChildProcess(argv: ["sh", "-c", "ls /proc/$$/fd"])
            let alone = try await lister.run().stdout
            let ready = directory.appendingPathComponent("ready").path
            // It never reads its stdin, so the writer holds the pipe open while it lives.
            let holder = Task {
                try await ChildProcess(argv: ["sh", "-c", "touch \(ready); sleep 3"], input: Data(count: 1 << 20)).run()
            }
            let started = await eventually(timeout: 30, every: 0.02, "holder started") { FileManager.default.fileExists(atPath: ready) }
            #expect(started)
            let beside = try await lister.run().stdout
            #expect(beside == alone, "file descriptors of a child started beside another: \(beside) (alone: \(alone))")
            // Nothing of this process reaches a child: its standard streams, and the directory `ls` reads.
            #expect(Set(beside.split(separator: "\n")).isSubset(of: ["0", "1", "2", "3"]), "\(beside)")
            _ = try await holder.value
        }
    }

    @Test func environmentLinesAndExitStatusComeThrough() async throws {
        let lines = LineLog()
        let exit = try await ChildProcess(
            argv: ["sh", "-c", "echo \"$GREETING\"; echo oops >&2; exit 3"],
            environment: ["GREETING": "hello there"],
            lines: { line, isError in lines.append((line, isError)) }
        ).run()
        #expect(exit.status == 3 && exit.stdout == "hello there\n" && exit.stderr == "oops\n")
        #expect(lines.all.sorted { $0.0 < $1.0 }.map { "\($0.0):\($0.1)" } == ["hello there:false", "oops:true"])
    }
}

/// Lines handed over by a child, collected across threads.
private final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(String, Bool)] = []

    func append(_ line: (String, Bool)) { lock.withLock { lines.append(line) } }
    var all: [(String, Bool)] { lock.withLock { lines } }
}
