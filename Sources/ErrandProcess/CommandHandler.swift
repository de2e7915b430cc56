public import Errand
import ErrandCore
import Foundation

extension HandlerRegistry {
    /// The handlers every `errand` binary has: ``HandlerRegistry/withBuiltins()`` (`errand.echo`, `errand.sleep`,
    /// `errand.fail`) and `errand.command`:
    ///
    /// `{"argv": ["prog", "arg"], "timeout": 30}` (or a bare argv array) runs a program without a shell. Exit status
    /// 0 succeeds; the last 64 KiB of stdout is the result (verbatim when it is JSON, else as a JSON string); a
    /// non-zero status fails with the tail of stderr; past `timeout` the process group gets SIGTERM, then SIGKILL
    /// after 5 s, and the attempt ends `timeout`.
    public static func standard() -> HandlerRegistry {
        var registry = withBuiltins()
        registry.register("errand.command") { context in try await runCommand(context) }
        return registry
    }

    static func runCommand(_ context: TaskContext) async throws -> String? {
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
