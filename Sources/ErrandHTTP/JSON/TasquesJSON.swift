import ErrandCore
import ErrandStore
import Foundation

/// tasques' wire model over Errand's tasks: its field names, states, priorities and durations, as its swagger
/// (`lloydmeta/tasques`, `docs/swagger.yaml`) gives them. docs/compatibility.md lists every mapping.
///
/// A tasques task is an Errand task whose handler is tasques' `kind`, whose idempotency key is tasques' `id`, and
/// whose `meta` keeps what Errand has no column for: `context`, the `priority` as given, and the last report
/// (`last_report`: `at`, `data` and the attempt it was filed in).
enum Tasques {
    /// The header every worker operation names its worker by.
    static let workerHeader = "X-TASQUES-WORKER-ID"
    /// tasques' server defaults (`config/tasques.example.yaml`): retries, claim timeout, claim amount and wait.
    static let defaultRetryTimes = 25
    static let defaultProcessingTimeout: Double = 30 * 60
    static let defaultClaimAmount = 1
    static let defaultBlockFor: Double = 3
    /// tasques' failure data for a claim that timed out (its reaper's words).
    static let timedOut: OutputJSON = .object([("timed_out", "Did not finish before claim timeout period")])

    /// Errand's priority (0 first) for tasques' (higher first, any integer, 0 neutral): `clamp(4 − p, 0, 9)`, so
    /// tasques' order is kept (ties beyond ±4 aside) and neutral tasks sit mid-range.
    static func errandPriority(_ priority: Int) -> Int { min(Priority.lowest, max(0, 4 - priority)) }

    /// tasques' retries (`retry_times` after the first attempt) with a growing wait in the spirit of its Faktory
    /// formula (15 s plus a random share that grows with each retry): 30 s, doubling, ±50 %, capped at an hour.
    static func retry(times: Int) -> RetryPolicy {
        RetryPolicy(maxAttempts: times + 1, delay: 30, delayFactor: 2, maxDelay: 3600, jitter: 0.5)
    }

    /// Whether stored JSON text is an object: tasques' `args` are, so other arguments (a task made over Errand's own
    /// API with a list, say) are left out of its view.
    static func isObject(_ text: String) -> Bool { text.drop(while: \.isWhitespace).first == "{" }

    /// tasques' `retry_times` of a policy (an unlimited one as the largest 32-bit integer).
    static func retryTimes(_ retry: RetryPolicy) -> Int {
        retry.maxAttempts == RetryPolicy.unlimited ? Int(Int32.max) : retry.maxAttempts - 1
    }

    /// tasques' priority: as given (kept in `meta.priority`), else read back from Errand's.
    static func priority(_ meta: [String: String], errand: Int) -> OutputJSON {
        meta["priority"].map { .raw($0) } ?? .int(4 - errand)
    }

    /// A Go duration member (`"30m"`, or an integer of nanoseconds, as tasques reads it) in seconds.
    static func duration(_ body: BodyObject, _ name: String) throws -> Double? {
        if let number = body.double(name) { return number / 1e9 }
        guard let text = body.string(name) else { return nil }
        guard let seconds = GoDuration.seconds(text), seconds >= 0 else {
            throw Problem.badRequest(
                "\(name): must be a Go duration such as 30m or 1m30s, at most \(GoDuration.text(GoDuration.longest)), got \"\(text.prefix(40))\""
            )
        }
        return seconds
    }

    /// tasques' state of a task: `queued`, `claimed`, `failed` (will be retried), `done` or `dead` (retries used up,
    /// cancelled, or unreadable).
    static func state(_ task: TaskRecord) -> String {
        switch task.state {
        case .running: "claimed"
        case .scheduled, .pending: task.chargedAttempts > 0 ? "failed" : "queued"
        case .completed: "done"
        case .failed, .cancelled, .dead: "dead"
        }
    }

    /// tasques' `id`: the idempotency key, or, for a task created otherwise (Errand's API, a recurring launch), its
    /// Errand id.
    static func id(_ task: TaskRecord) -> String { task.idempotencyKey ?? task.id.rawValue }

    /// A new task's `id` when the request gives none: a UUID without dashes, as tasques generates them.
    static func generatedID() -> String { UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    /// The members of a task's `meta`, each as its JSON text (empty when there is none).
    static func meta(_ task: TaskRecord) -> [String: String] { members(task.meta) }

    /// The members of a JSON object's text, each as its JSON text (empty for `nil` or anything but an object).
    static func members(_ text: String?) -> [String: String] {
        guard let text, let parsed = try? ParsedJSON(Array(text.utf8)), case .object(let members) = parsed.root.kind else {
            return [:]
        }
        return members.mapValues { parsed.text(of: $0) }
    }

    /// The `meta` a report files: the task's own members with `last_report` replaced.
    static func reportedMeta(_ task: TaskRecord, data: String?, at: Date) -> String {
        var members = meta(task).filter { $0.key != "last_report" }.sorted { $0.key < $1.key }.map { ($0.key, OutputJSON.raw($0.value)) }
        var report: [(String, OutputJSON)] = [("at", .string(at.iso8601)), ("attempt", .int(task.attempt))]
        if let data { report.append(("data", .raw(data))) }
        members.append(("last_report", .object(report)))
        return OutputJSON.object(members).text
    }

    /// The task as tasques' `task.Task`; `lastAttempt` (the launch log's last line) fills `last_claimed` of a task
    /// that is not running.
    static func task(_ task: TaskRecord, lastAttempt: Attempt?) -> OutputJSON {
        let meta = meta(task)
        var members: [(String, OutputJSON)] = [
            ("id", .string(id(task))),
            ("queue", .string(task.queue)),
            ("retry_times", .int(retryTimes(task.retry))),
            ("attempted", .int(task.chargedAttempts)),
            ("kind", .string(task.handler)),
            ("state", .string(state(task))),
            ("priority", priority(meta, errand: task.priority)),
            ("processing_timeout", .string(GoDuration.text(task.timeToResolve))),
            ("run_at", .date(task.runAt)),
        ]
        if isObject(task.arguments) { members.append(("args", .stored(task.arguments))) }
        if let context = meta["context"] { members.append(("context", .raw(context))) }
        let report = lastReport(meta)
        if let claimed = lastClaimed(task, lastAttempt: lastAttempt, report: report) { members.append(("last_claimed", claimed)) }
        let enqueued = TaskState.waiting.contains(task.state) ? max(task.createdAt, lastAttempt?.finishedAt ?? task.createdAt) : task.createdAt
        members.append(("last_enqueued_at", .date(enqueued)))
        let changes = [task.createdAt, task.startedAt, task.finishedAt, lastAttempt?.finishedAt, report?.at].compactMap { $0 }
        members.append(("metadata", .object([("created_at", .date(task.createdAt)), ("modified_at", .date(changes.max()))])))
        if let module = task.module { members.append(("recurring_task_id", .string(module))) }
        return .object(members)
    }

    private struct Report {
        var at: Date
        var attempt: Int
        var data: String?
    }

    private static func lastReport(_ meta: [String: String]) -> Report? {
        guard let text = meta["last_report"], let parsed = try? ParsedJSON(Array(text.utf8)),
            case .string(let at)? = parsed.member("at")?.kind, let date = RFC3339.date(at),
            case .number(let attempt)? = parsed.member("attempt")?.kind
        else { return nil }
        return Report(at: date, attempt: Int(attempt), data: parsed.member("data").map { parsed.text(of: $0) })
    }

    private static func lastClaimed(_ task: TaskRecord, lastAttempt: Attempt?, report: Report?) -> OutputJSON? {
        func reportJSON(_ attempt: Int) -> OutputJSON? {
            guard let report, report.attempt == attempt else { return nil }
            var members: [(String, OutputJSON)] = [("at", .date(report.at))]
            if let data = report.data { members.append(("data", .raw(data))) }
            return .object(members)
        }
        if task.state == .running, let worker = task.worker, let started = task.startedAt {
            var members: [(String, OutputJSON)] = [
                ("worker_id", .string(worker)), ("claimed_at", .date(started)), ("times_out_at", .date(task.leaseExpiresAt ?? started)),
            ]
            if let report = reportJSON(task.attempt) { members.append(("last_report", report)) }
            return .object(members)
        }
        guard let attempt = lastAttempt else { return nil }
        let renewed = report.flatMap { $0.attempt == attempt.number ? $0.at : nil } ?? attempt.startedAt
        let timesOut = attempt.outcome == .lost ? attempt.finishedAt : renewed.addingTimeInterval(task.timeToResolve)
        var members: [(String, OutputJSON)] = [
            ("worker_id", .string(attempt.worker)), ("claimed_at", .date(attempt.startedAt)), ("times_out_at", .date(timesOut)),
        ]
        if let report = reportJSON(attempt.number) { members.append(("last_report", report)) }
        var result: [(String, OutputJSON)] = [("at", .date(attempt.finishedAt))]
        switch attempt.outcome {
        case .succeeded: if let data = attempt.result { result.append(("success", .stored(data))) }
        case .lost, .timeout: result.append(("failure", timedOut))
        default:
            if let data = attempt.result {
                result.append(("failure", .stored(data)))
            } else if let message = attempt.message {
                result.append(("failure", .object([("message", .string(message))])))
            }
        }
        members.append(("result", .object(result)))
        return .object(members)
    }
}
