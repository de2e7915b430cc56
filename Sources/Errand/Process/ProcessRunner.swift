import ErrandCore
import Foundation
import Logging

/// Runs each attempt as a child process of one command, pftaskqueue's task handler protocol
/// (`errand worker -- CMD ARGS`).
///
/// Per attempt: a ``Workspace`` with the inputs as files and environment variables; the command started without a
/// shell, in its own process group, with the workspace path on its standard input; its output lines logged. Exit
/// status 0 succeeds; `output/payload` becomes the result and `output/message` the message (each cut to
/// ``ProcessWorkerConfiguration/outputLimit`` bytes, marked); `output/postHooks.json` becomes follow-up tasks,
/// children of this one, whatever the exit status. A workspace that cannot be made, a command that cannot start, or
/// output that cannot be read ends the attempt `internal_error`. Cancellation (timeout, shutdown, a cancelled task)
/// sends SIGTERM to the process group, then SIGKILL after ``ProcessWorkerConfiguration/killGrace`` seconds.
public struct ProcessRunner: TaskRunner {
    public let configuration: ProcessWorkerConfiguration
    private let logger: Logger

    public init(configuration: ProcessWorkerConfiguration, logger: Logger = Logger(label: "errand.process")) {
        precondition(!configuration.command.isEmpty, "the handler command must not be empty")
        self.configuration = configuration
        self.logger = logger
    }

    public var handlers: [String] { configuration.handlers }

    public func run(_ task: TaskRecord, worker: String) async -> AttemptReport {
        let timeout = task.timeout ?? configuration.defaultTimeout
        let workspace: Workspace
        // File work blocks its thread; it runs off the few cooperative threads the dispatcher and store need.
        let configuration = self.configuration
        do {
            workspace = try await Self.offloaded { try Workspace(task: task, timeout: timeout, configuration: configuration) }
        } catch let error as WorkspaceError {
            return AttemptReport(outcome: .internalError, message: error.description)
        } catch {
            return AttemptReport(outcome: .internalError, message: "\(error)")
        }
        let report = await run(task, in: workspace)
        if configuration.cleanupWorkspace { _ = try? await Self.offloaded { workspace.remove() } }
        return report
    }

    private func run(_ task: TaskRecord, in workspace: Workspace) async -> AttemptReport {
        var childLogger = logger
        childLogger[metadataKey: "errand.task.id"] = "\(task.id)"
        childLogger[metadataKey: "errand.process.id"] = "\(workspace.processID)"
        let lines = childLogger
        let child = ChildProcess(
            argv: configuration.command,
            killGrace: configuration.killGrace,
            outputLimit: 8 * 1024,
            input: Data(workspace.path.utf8),
            environment: workspace.environment,
            lines: { line, isError in lines.info("\(line)", metadata: ["errand.pipe": isError ? "stderr" : "stdout"]) }
        )
        let exit: ChildProcess.Exit
        do {
            exit = try await child.run()
        } catch {
            return AttemptReport(outcome: .internalError, message: "\(error)")
        }
        let output: WorkspaceOutput
        let limit = configuration.outputLimit
        do {
            output = try await Self.offloaded { try WorkspaceOutput(workspace: workspace.path, task: task, limit: limit) }
        } catch let error as OutputError {
            return AttemptReport(outcome: .internalError, message: "\(workspace.path)/output/\(error.description)")
        } catch {
            return AttemptReport(outcome: .internalError, message: "\(error)")
        }
        if Task.isCancelled {
            return AttemptReport(outcome: .cancelled, result: output.result, message: output.message, followUps: output.followUps)
        }
        guard exit.status == 0 else {
            let how = exit.status.map { "exited with status \($0)" } ?? "was killed by signal \(exit.signal ?? 0)"
            let tail = exit.stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(1000)
            let detail = output.message ?? (tail.isEmpty ? nil : String(tail))
            return AttemptReport(
                outcome: .failed,
                result: output.result,
                message: "\(configuration.command[0]) \(how)" + (detail.map { ": \($0)" } ?? ""),
                followUps: output.followUps
            )
        }
        return AttemptReport(outcome: .succeeded, result: output.result, message: output.message, followUps: output.followUps)
    }

    /// Runs blocking work on a dispatch thread and waits for it without holding a cooperative thread.
    private static func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
