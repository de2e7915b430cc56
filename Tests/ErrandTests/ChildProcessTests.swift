import Foundation
import Testing

@testable import Errand

/// The child-process runner underneath `errand.command` and `errand worker -- CMD`.
@Suite struct ChildProcessTests {
    @Test func aChildStartedMeanwhileDoesNotHoldAnotherChildsStdinOpen() async throws {
        // Readers wait for end of file on stdin, sleepers start beside them. Were a reader's pipe inherited by a
        // sleeper spawned meanwhile, that reader would wait for the sleeper (3 s).
        let started = Date()
        let slowest = try await withThrowingTaskGroup(of: Double.self) { group in
            for index in 0..<16 {
                if index.isMultiple(of: 2) {
                    group.addTask {
                        _ = try await ChildProcess(argv: ["sleep", "3"], input: Data()).run(); return 0
                    }
                } else {
                    group.addTask {
                        let read = try await ChildProcess(argv: ["cat"], input: Data("workspace \(index)".utf8)).run()
                        #expect(read.status == 0 && read.stdout == "workspace \(index)")
                        return Date().timeIntervalSince(started)
                    }
                }
            }
            return try await group.reduce(0) { max($0, $1) }
        }
        #expect(slowest < 2.5, "a reader waited for a sibling: \(slowest) s")
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
