import Errand
import ErrandCore
import ErrandStore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One attempt's workspace directory, laid out as pftaskqueue lays it out, so its handler scripts run unchanged:
///
/// ```
/// <work dir>/<worker id>/<process id>/
///   input/payload, input/retryLimit, input/timeoutSeconds
///   input/meta/taskUID, processUID, task.json, workerName, workerUID, workerConfig.json
///   output/            (empty; the handler may write payload, message, postHooks.json)
/// ```
///
/// Every input is also an environment variable, under `ERRAND_TASK_HANDLER_INPUT_` and pftaskqueue's
/// `PFTQ_TASK_HANDLER_INPUT_`; the directory is `ERRAND_TASK_HANDLER_WORKSPACE_DIR` and
/// `PFTQ_TASK_HANDLER_WORKSPACE_DIR`.
struct Workspace {
    let path: String
    let processID: String
    /// The environment variables the handler gets.
    private(set) var environment: [String: String] = [:]

    /// Environment values longer than this are left out (Linux refuses a variable over 128 KiB); the file has them.
    static let environmentValueLimit = 64 * 1024

    /// Creates the workspace of `task`'s current attempt and writes its inputs; `configurationJSON` is
    /// `configuration.jsonText`, when the caller has it already.
    /// - Throws: ``WorkspaceError`` naming the path that could not be made or written.
    init(
        task: TaskRecord,
        timeout: Double,
        configuration: ProcessWorkerConfiguration,
        configurationJSON: String? = nil
    ) throws(WorkspaceError) {
        processID = "\(task.id.rawValue)-\(task.attempt)"
        path =
            URL(fileURLWithPath: configuration.workDirectory).appendingPathComponent(configuration.id)
            .appendingPathComponent(processID).path
        let meta = "\(path)/input/meta"
        for directory in [meta, "\(path)/output"] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw WorkspaceError(path: directory, reason: Self.reason(error))
            }
        }
        let payload = TaskSpec.payload(ofArguments: task.arguments)
        let timeoutSeconds = Int(timeout.rounded(.up))
        let inputs: [(file: String, variable: String, value: String)] = [
            ("input/payload", "PAYLOAD", payload),
            ("input/retryLimit", "RETRY_LIMIT", String(task.retry.retryLimit)),
            ("input/timeoutSeconds", "TIMEOUT_SECONDS", String(timeoutSeconds)),
            ("input/meta/taskUID", "TASK_UID", task.id.rawValue),
            ("input/meta/processUID", "PROCESS_UID", processID),
            ("input/meta/task.json", "TASK_JSON", Self.taskJSON(task, payload: payload, timeoutSeconds: timeoutSeconds)),
            ("input/meta/workerName", "WORKER_NAME", configuration.name),
            ("input/meta/workerUID", "WORKER_UID", configuration.id),
            ("input/meta/workerConfig.json", "WORKER_CONFIG_JSON", configurationJSON ?? configuration.jsonText),
        ]
        for input in inputs {
            let file = "\(path)/\(input.file)"
            if let problem = Self.writeScratch(input.value, to: file) { throw WorkspaceError(path: file, reason: problem) }
            if input.value.utf8.count <= Self.environmentValueLimit {
                environment["ERRAND_TASK_HANDLER_INPUT_\(input.variable)"] = input.value
                environment["PFTQ_TASK_HANDLER_INPUT_\(input.variable)"] = input.value
            }
        }
        environment["ERRAND_TASK_HANDLER_WORKSPACE_DIR"] = path
        environment["PFTQ_TASK_HANDLER_WORKSPACE_DIR"] = path
    }

    /// Writes a scratch file with plain `open`/`write`: no temporary file and no `fsync`, which Foundation's
    /// atomic writes cost (milliseconds per file on a real disk). Returns why it failed, or `nil`.
    private static func writeScratch(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += written
        }
        return nil
    }

    /// Deletes the workspace.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The task as `task.json`: the task as the HTTP API shows it (``Representation/task(_:)``), then pftaskqueue's
    /// `uid`, `parentUID`, `spec` and `status` keys; `payload` and `timeoutSeconds` are the inputs written beside it.
    static func taskJSON(_ task: TaskRecord, payload: String, timeoutSeconds: Int) -> String {
        let spec: OutputJSON = .object([
            ("name", .string(task.name ?? "")),
            ("payload", .string(payload)),
            ("retryLimit", .int(task.retry.retryLimit)),
            ("timeoutSeconds", .int(timeoutSeconds)),
        ])
        let status: OutputJSON = .object([
            ("phase", "Processing"), ("createdAt", .date(task.createdAt)), ("failureCount", .int(max(0, task.chargedAttempts - 1))),
            ("salvageCount", 0),
        ])
        let parent: [(String, OutputJSON)] = task.parentID.map { [("parentUID", .string($0.rawValue))] } ?? []
        return OutputJSON.object(
            Representation.taskMembers(task) + [("uid", .string(task.id.rawValue))] + parent + [("spec", spec), ("status", status)]
        ).text
    }

    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return error.localizedDescription
    }
}

/// A workspace that could not be made or written.
struct WorkspaceError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot prepare the workspace: \(path): \(reason)" }
}
