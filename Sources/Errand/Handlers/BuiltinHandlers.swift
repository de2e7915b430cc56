import ErrandCore
import Foundation

/// Fails an attempt with the outcome `timeout` rather than `failed`.
public struct HandlerTimeout: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension HandlerRegistry {
    /// The names of the handlers every `errand` binary has.
    public static let builtinNames = ["errand.command", "errand.echo", "errand.fail", "errand.sleep"]

    /// A registry holding the built-in handlers:
    /// - `errand.echo`: returns its arguments unchanged.
    /// - `errand.sleep`: `{"seconds": 2.5}` (or a bare number) sleeps, then returns `{"slept": 2.5}`; stops early when
    ///   cancelled.
    /// - `errand.fail`: `{"message": "why"}` fails the attempt with that message.
    /// - `errand.command`: `{"argv": ["prog", "arg"], "timeout": 30}` (or a bare argv array) runs a program without a
    ///   shell. Exit status 0 succeeds; the last 64 KiB of stdout is the result (verbatim when it is JSON, else as a
    ///   JSON string); a non-zero status fails with the tail of stderr; past `timeout` the process group gets SIGTERM,
    ///   then SIGKILL after 5 s, and the attempt ends `timeout`.
    public static func withBuiltins() -> HandlerRegistry {
        var registry = HandlerRegistry()
        registry.register("errand.echo") { context in context.arguments }
        registry.register("errand.sleep") { context in
            let seconds = try Self.number(context, key: "seconds")
            try await Task.sleep(for: .seconds(seconds))
            return #"{"slept":\#(seconds)}"#
        }
        registry.register("errand.fail") { context in
            let object = try? JSONSerialization.jsonObject(with: Data(context.arguments.utf8), options: [.fragmentsAllowed])
            let message = ((object as? [String: Any])?["message"] as? String) ?? (object as? String) ?? "errand.fail was asked to fail"
            throw HandlerFailure(message)
        }
        registry.register("errand.command") { context in try await Self.runCommand(context) }
        return registry
    }

    private static func number(_ context: TaskContext, key: String) throws -> Double {
        let object = try? JSONSerialization.jsonObject(with: Data(context.arguments.utf8), options: [.fragmentsAllowed])
        if let value = object as? Double { return value }
        if let value = (object as? [String: Any])?[key] as? Double { return value }
        throw HandlerFailure("\(context.task.handler) needs {\"\(key)\": <number>} as arguments, got \(context.arguments.prefix(80))")
    }

    private static func runCommand(_ context: TaskContext) async throws -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(context.arguments.utf8), options: [.fragmentsAllowed])
        let dictionary = object as? [String: Any]
        guard let argv = (object as? [String]) ?? (dictionary?["argv"] as? [String]), !argv.isEmpty else {
            throw HandlerFailure(#"errand.command needs {"argv": ["program", "arg", ...]} as arguments"#)
        }
        let timeout = dictionary?["timeout"] as? Double
        let exit: ChildProcess.Exit
        do {
            exit = try await ChildProcess(argv: argv, timeout: timeout).run()
        } catch let error as ChildProcess.SpawnError {
            throw HandlerFailure(error.description)
        }
        if exit.timedOut {
            throw HandlerTimeout("\(argv[0]) ran past its timeout of \(timeout ?? 0) s and was stopped")
        }
        try Task.checkCancellation()
        guard exit.status == 0 else {
            let how = exit.status.map { "exited with status \($0)" } ?? "was killed by signal \(exit.signal ?? 0)"
            let tail = exit.stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(2000)
            throw HandlerFailure("\(argv[0]) \(how)" + (tail.isEmpty ? "" : ": \(tail)"))
        }
        let output = exit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if JSONText.problem(output) == nil { return output }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
