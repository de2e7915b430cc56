public import Errand
public import ErrandCore
public import ErrandStore
import Foundation
public import Logging

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
///
/// Given the store, the runner reports the handler's progress while it runs: whenever `output/progress` holds
/// `COMPLETED` or `COMPLETED/TOTAL` (numbers, in units of the handler's choosing) different from the last report,
/// within a second.
public struct ProcessRunner: TaskRunner {
    public let configuration: ProcessWorkerConfiguration
    /// `configuration.jsonText`, encoded once: every workspace gets it.
    private let configurationJSON: String
    private let logger: Logger
    private let store: (any TaskStore)?
    private let time: any TimeSource

    public init(
        configuration: ProcessWorkerConfiguration,
        logger: Logger = Logger(label: "errand.process"),
        store: (any TaskStore)? = nil,
        time: any TimeSource = SystemTimeSource()
    ) {
        precondition(!configuration.command.isEmpty, "the handler command must not be empty")
        self.configuration = configuration
        configurationJSON = configuration.jsonText
        self.logger = logger
        self.store = store
        self.time = time
    }

    public var handlers: [String] { configuration.handlers }

    public func run(_ task: TaskRecord, worker: String) async -> AttemptReport {
        let timeout = task.timeout ?? configuration.defaultTimeout
        let workspace: Workspace
        // File work blocks its thread; it runs off the few cooperative threads the dispatcher and store need.
        let (configuration, configurationJSON) = (self.configuration, self.configurationJSON)
        do {
            workspace = try await Self.offloaded {
                try Workspace(task: task, timeout: timeout, configuration: configuration, configurationJSON: configurationJSON)
            }
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
            // The progress watcher runs beside the child and is cancelled when the child has ended.
            exit = try await withThrowingTaskGroup(of: ChildProcess.Exit?.self) { group in
                group.addTask {
                    await watchProgress(of: task, in: workspace)
                    return nil
                }
                group.addTask { try await child.run() }
                var ended: ChildProcess.Exit?
                while let next = try await group.next() {
                    guard let next else { continue }
                    ended = next
                    group.cancelAll()
                }
                guard let ended else { throw ChildProcess.SpawnError(description: "\(configuration.command[0]) did not run") }
                return ended
            }
        } catch {
            return AttemptReport(outcome: .internalError, message: "\(error)")
        }
        let output: WorkspaceOutput
        let limit = configuration.outputLimit
        do {
            output = try await Self.offloaded {
                try WorkspaceOutput(workspace: workspace.path, task: task, limit: limit, postHooks: configuration.postHooks)
            }
        } catch let error as OutputError {
            return AttemptReport(outcome: .internalError, message: "\(workspace.path)/output/\(error.description)")
        } catch {
            return AttemptReport(outcome: .internalError, message: "\(error)")
        }
        // The handler's outputs (result, message, follow-ups) go with whatever outcome the attempt had.
        func report(_ outcome: AttemptOutcome, message: String?) -> AttemptReport {
            AttemptReport(
                outcome: outcome,
                result: output.result,
                message: message,
                followUps: output.followUps,
                followUpsAreChildren: configuration.postHooks == .errand
            )
        }
        if Task.isCancelled { return report(.cancelled, message: output.message) }
        guard exit.status == 0 else {
            let how = exit.status.map { "exited with status \($0)" } ?? "was killed by signal \(exit.signal ?? 0)"
            let tail = exit.stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(1000)
            let detail = output.message ?? (tail.isEmpty ? nil : String(tail))
            return report(.failed, message: "\(configuration.command[0]) \(how)" + (detail.map { ": \($0)" } ?? ""))
        }
        return report(.succeeded, message: output.message)
    }

    /// Reports `output/progress` about every second until cancelled; returns at once without a store.
    private func watchProgress(of task: TaskRecord, in workspace: Workspace) async {
        guard let store, let lease = task.lease else { return }
        let file = workspace.path + "/output/progress"
        var last: (Double, Double?)?
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard !Task.isCancelled, let text = try? String(contentsOfFile: file, encoding: .utf8), let reading = Self.progress(text),
                last.map({ $0.0 != reading.0 || $0.1 != reading.1 }) ?? true
            else { continue }
            last = reading
            _ = try? await store.reportProgress(lease, completed: reading.0, total: reading.1, now: time.now)
        }
    }

    /// `COMPLETED` or `COMPLETED/TOTAL`, non-negative numbers; `nil` for anything else.
    static func progress(_ text: String) -> (Double, Double?)? {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let completed = Double(parts[0]), completed.isFinite, completed >= 0 else { return nil }
        guard parts.count == 2 else { return (completed, nil) }
        guard let total = Double(parts[1]), total.isFinite, total >= 0 else { return nil }
        return (completed, total)
    }

    /// Runs blocking work on a dispatch thread and waits for it without holding a cooperative thread.
    private static func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
