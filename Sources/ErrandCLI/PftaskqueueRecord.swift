import ErrandCore
import ErrandStore
import Foundation

/// A task as pftaskqueue's `get-task` prints it (its `Task`: `uid`, `spec`, `status` with `phase`, `failureCount`,
/// `salvageCount`, `currentRecord` and `history` of `TaskRecord`s), from Errand's task and its launch log.
enum PftaskqueueRecord {
    /// pftaskqueue's phase: `Pending` (waiting, retries included), `Processing` (running; Errand has no separate
    /// `Received`), `Succeeded`, `Failed` (failed, cancelled or unreadable).
    static func phase(_ state: TaskState) -> String {
        switch state {
        case .scheduled, .pending: "Pending"
        case .running: "Processing"
        case .completed: "Succeeded"
        case .failed, .cancelled, .dead: "Failed"
        }
    }

    /// The task with its attempts (oldest first) as pftaskqueue's `Task`.
    static func task(_ task: TaskRecord, attempts: [Attempt]) -> OutputJSON {
        var spec: [(String, OutputJSON)] = []
        if let name = task.name { spec.append(("name", .string(name))) }
        spec.append(("payload", .string(TaskSpec.payload(ofArguments: task.arguments))))
        spec.append(("retryLimit", .int(task.retry.retryLimit)))
        if let timeout = task.timeout { spec.append(("timeoutSeconds", .number(timeout))) }
        var status: [(String, OutputJSON)] = [
            ("phase", .string(phase(task.state))),
            ("createdAt", .date(task.createdAt)),
            ("failureCount", .int(attempts.filter { $0.outcome != .succeeded && $0.outcome != .signaled }.count)),
            ("salvageCount", .int(attempts.filter { $0.salvagedBy != nil }.count)),
        ]
        if task.state == .running, let worker = task.worker, let started = task.startedAt {
            status.append(
                (
                    "currentRecord",
                    .object([
                        ("processUID", .string(processUID(task.id, task.attempt))), ("workerName", .string(worker)),
                        ("workerUID", .string(worker)), ("receivedAt", .date(started)), ("startedAt", .date(started)),
                    ])
                )
            )
        }
        status.append(("history", .array(attempts.map(record))))
        return .object([("uid", .string(task.id.rawValue)), ("spec", .object(spec)), ("status", .object(status))])
    }

    /// One attempt as pftaskqueue's `TaskRecord`.
    static func record(_ attempt: Attempt) -> OutputJSON {
        var result: [(String, OutputJSON)] = [
            ("type", .string(attempt.outcome == .succeeded ? "Success" : "Failure")),
            ("reason", .string(reason(attempt.outcome))),
        ]
        if let payload = attempt.result { result.append(("payload", .string(TaskSpec.payload(ofArguments: payload)))) }
        if let message = attempt.message { result.append(("message", .string(message))) }
        var members: [(String, OutputJSON)] = [
            ("processUID", .string(processUID(attempt.taskID, attempt.number))), ("workerName", .string(attempt.worker)),
            ("workerUID", .string(attempt.worker)), ("receivedAt", .date(attempt.startedAt)), ("startedAt", .date(attempt.startedAt)),
            ("finishedAt", .date(attempt.finishedAt)), ("result", .object(result)),
        ]
        if let salvager = attempt.salvagedBy { members.append(("salvagedBy", .string(salvager))) }
        if let at = attempt.salvagedAt { members.append(("salvagedAt", .date(at))) }
        return .object(members)
    }

    /// pftaskqueue's result reason for an outcome: `Succeeded`, `Failed`, `Timeout`, `Signaled` (a shutdown, or a
    /// cancel), `InternalError` (Errand could not run it, or its worker was lost).
    static func reason(_ outcome: AttemptOutcome) -> String {
        switch outcome {
        case .succeeded: "Succeeded"
        case .failed: "Failed"
        case .timeout: "Timeout"
        case .signaled, .cancelled: "Signaled"
        case .lost, .internalError: "InternalError"
        }
    }

    /// An attempt's process id: pftaskqueue gives each handler process a UID; Errand names an attempt by its task
    /// and number.
    static func processUID(_ task: TaskID, _ number: Int) -> String { "\(task.rawValue)/\(number)" }
}
