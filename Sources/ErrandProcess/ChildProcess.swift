import Foundation
import Subprocess

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs a program as a child process in its own process group, never through a shell (swift-subprocess).
///
/// Standard input is ``input`` (or `/dev/null`); the last ``outputLimit`` bytes of standard output and error are
/// kept, and each line is handed to ``lines`` as it comes. On timeout or cancellation the whole process group gets
/// SIGTERM, then SIGKILL after ``killGrace`` seconds. The child gets no other descriptor of this process, and starts
/// with default signal dispositions and an empty signal mask (swift-subprocess's spawn).
struct ChildProcess: Sendable {
    var argv: [String]
    var timeout: Double?
    var killGrace: Double = 5
    var outputLimit: Int = 64 * 1024
    /// Bytes written to the child's standard input, which is then closed; `nil` gives it `/dev/null`.
    var input: Data? = nil
    /// Variables added to (or replacing those of) this process's environment.
    var environment: [String: String] = [:]
    /// Called with each line of standard output (`false`) or error (`true`), without its newline.
    var lines: (@Sendable (_ line: String, _ isError: Bool) -> Void)? = nil

    struct Exit: Sendable {
        /// Exit status when the program exited, `nil` when a signal ended it.
        var status: Int32?
        /// The signal that ended it, if one did.
        var signal: Int32?
        var stdout: String
        var stderr: String
        var timedOut: Bool
        /// Whether stdout or stderr was cut to ``outputLimit``.
        var truncated: Bool
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws -> Exit {
        guard let program = argv.first, !program.isEmpty else { throw SpawnError(description: "argv is empty") }
        if input != nil { Self.ignoreBrokenPipes }
        guard let timeout else { return Exit(try await launch(program), timedOut: false) }
        let (outcome, timedOut) = try await withThrowingTaskGroup(of: Ending.self) { group in
            group.addTask { .exited(try await launch(program)) }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return Task.isCancelled ? .timerStopped : .timedOut
            }
            // The first to end: the child (the timer is then cancelled), or the timer, which cancels the child's
            // task — swift-subprocess then tears the process group down, and the child's outcome follows.
            var outcome: Outcome?
            var timedOut = false
            while let next = try await group.next() {
                group.cancelAll()
                switch next {
                case .exited(let ended): outcome = ended
                case .timedOut: timedOut = true
                case .timerStopped: break
                }
            }
            return (outcome, timedOut)
        }
        guard let outcome else { throw SpawnError(description: "\(program) did not run") }
        return Exit(outcome, timedOut: timedOut)
    }

    /// Writing input to a child that exits without reading it must be an `EPIPE` error, not a SIGPIPE that ends
    /// this process (the old runner did the same on its writer thread). Set once, process-wide; the child starts
    /// with SIGPIPE at its default all the same (swift-subprocess resets dispositions in the child).
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// This process's environment as `NAME=value` entries, read once: Errand does not change its own environment,
    /// and swift-subprocess's `.inherit` reads and parses it into a dictionary at every spawn, then writes it out
    /// again (`perf`: 7 % of a worker's time per `/bin/true` task, issue 16).
    private static let inherited: [(name: String, entry: [UInt8])] = ProcessInfo.processInfo.environment.map { name, value in
        (name, Array("\(name)=\(value)\0".utf8))
    }

    /// This process's environment with `overrides` added or replacing variables, as the C strings the spawn takes.
    static func environment(overriding overrides: [String: String]) -> Environment {
        var entries = inherited.compactMap { overrides[$0.name] == nil ? $0.entry : nil }
        for (name, value) in overrides { entries.append(Array("\(name)=\(value)\0".utf8)) }
        return .custom(entries)
    }

    /// What ended first: the child, or the timer.
    private enum Ending: Sendable {
        case exited(Outcome)
        case timedOut
        case timerStopped
    }

    /// How the child ended and what it printed.
    fileprivate struct Outcome: Sendable {
        var status: Int32?
        var signal: Int32?
        var stdout: Drained
        var stderr: Drained

        init(_ termination: TerminationStatus, _ output: (Drained, Drained)) {
            switch termination {
            case .exited(let code): (status, signal) = (code, nil)
            case .signaled(let code): (status, signal) = (nil, code)
            }
            (stdout, stderr) = output
        }
    }

    private func launch(_ program: String) async throws -> Outcome {
        var options = PlatformOptions()
        // Own process group, so that a timeout or a cancellation reaches the program and everything it started.
        options.processGroupID = 0
        // On cancellation: SIGTERM to the group, SIGKILL (to the group, as the last step) after the grace.
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(killGrace))]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let environment = Self.environment(overriding: self.environment)
        let (arguments, limit, lines) = (Arguments(Array(argv.dropFirst())), outputLimit, self.lines)
        do {
            guard let input else {
                let result = try await Subprocess.run(
                    executable,
                    arguments: arguments,
                    environment: environment,
                    platformOptions: options,
                    input: .none,
                    output: .sequence,
                    error: .sequence
                ) { execution in
                    try await Self.drain(execution.standardOutput, execution.standardError, limit: limit, lines: lines)
                }
                return Outcome(result.terminationStatus, result.closureResult)
            }
            // The input is written here rather than by swift-subprocess's `.data` input: when a child exits without
            // reading it all, 1.0.2's own writer leaves the pipe open and stops the process in a deinit check.
            let result = try await Subprocess.run(
                executable,
                arguments: arguments,
                environment: environment,
                platformOptions: options,
                input: .inputWriter,
                output: .sequence,
                error: .sequence
            ) { execution in
                let writer = execution.standardInputWriter
                async let written: Void = {
                    _ = try? await writer.write(Array(input))
                    try? await writer.finish()
                }()
                let output = try await Self.drain(execution.standardOutput, execution.standardError, limit: limit, lines: lines)
                await written
                return output
            }
            return Outcome(result.terminationStatus, result.closureResult)
        } catch let error as SubprocessError {
            throw SpawnError(description: "cannot start \(program): \(error)")
        }
    }

    /// Reads both pipes at once, so that neither fills up and stalls the child.
    private static func drain(
        _ stdout: SubprocessOutputSequence,
        _ stderr: SubprocessOutputSequence,
        limit: Int,
        lines: (@Sendable (String, Bool) -> Void)?
    ) async throws -> (Drained, Drained) {
        async let error = drain(stderr, limit: limit, isError: true, lines: lines)
        let output = try await drain(stdout, limit: limit, isError: false, lines: lines)
        return (output, try await error)
    }

    /// What reading one pipe gave: its last `limit` bytes as text.
    fileprivate struct Drained: Sendable {
        var text: String
        var truncated: Bool
    }

    /// Reads one pipe to its end, keeping the last `limit` bytes and handing each line to `lines` (a line longer
    /// than the limit is handed over in pieces rather than held).
    private static func drain(
        _ pipe: SubprocessOutputSequence,
        limit: Int,
        isError: Bool,
        lines: (@Sendable (String, Bool) -> Void)?
    ) async throws -> Drained {
        var kept: [UInt8] = []
        var pending: [UInt8] = []
        var truncated = false
        for try await buffer in pipe {
            let bytes = buffer.withUnsafeBytes { Array($0) }
            kept.append(contentsOf: bytes)
            if kept.count > limit {
                kept.removeFirst(kept.count - limit)
                truncated = true
            }
            guard let lines else { continue }
            pending.append(contentsOf: bytes)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines(String(decoding: pending[..<newline], as: UTF8.self), isError)
                pending.removeSubrange(...newline)
            }
            if pending.count > limit {
                lines(String(decoding: pending, as: UTF8.self), isError)
                pending.removeAll()
            }
        }
        if let lines, !pending.isEmpty { lines(String(decoding: pending, as: UTF8.self), isError) }
        return Drained(text: String(decoding: kept, as: UTF8.self), truncated: truncated)
    }
}

extension ChildProcess.Exit {
    fileprivate init(_ outcome: ChildProcess.Outcome, timedOut: Bool) {
        self.init(
            status: outcome.status,
            signal: outcome.signal,
            stdout: outcome.stdout.text,
            stderr: outcome.stderr.text,
            timedOut: timedOut,
            truncated: outcome.stdout.truncated || outcome.stderr.truncated
        )
    }
}
