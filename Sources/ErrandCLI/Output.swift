import ArgumentParser
import ErrandCore
import ErrandStore
import Foundation
import Yams

/// How a command prints what it found.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case yaml
    case json
    case table
}

/// Prints values as YAML, JSON or a table.
enum Output {
    /// A number as a whole number when it is one (`3`, not `3.0`), else as Swift writes it.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// The value as pretty JSON with sorted keys.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The value as YAML.
    static func yaml(_ value: some Encodable) throws -> String {
        try YAMLEncoder().encode(value).trimmingCharacters(in: .newlines)
    }

    /// Prints `value` in `format`, using `table` for the table form.
    static func print(_ value: some Encodable, as format: OutputFormat, table: () -> String) throws {
        switch format {
        case .yaml: Swift.print(try yaml(value))
        case .json: Swift.print(try json(value))
        case .table: Swift.print(table())
        }
    }

    /// Left-aligned columns separated by two spaces, with a header row.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// A task as the CLI shows it: arguments and result as JSON structure, times as ISO 8601 text.
struct TaskView: Encodable {
    var id: String
    var queue: String
    var handler: String
    var state: String
    var priority: Int
    var attempt: Int
    var maxAttempts: Int
    var arguments: JSONValue
    var result: JSONValue?
    var message: String?
    var lastError: String?
    var runAt: String?
    var createdAt: String?
    var startedAt: String?
    var finishedAt: String?
    var worker: String?
    var leaseExpiresAt: String?
    var idempotencyKey: String?
    var parentID: String?
    var rootID: String?
    /// The definition a launch belongs to (or the module code gave it).
    var module: String?
    var tags: [String]
    /// The display name (pftaskqueue's `name`).
    var name: String?
    /// Seconds an attempt may run.
    var timeout: WholeOrFraction?
    /// What its worker last reported: `completed`, `total`, `units`.
    var progress: [String: String]?
    /// The task tree's labels, when set (docs/trees.md); `locality` only when global, `abortable` only when not,
    /// `folded` only when folded.
    var type: String?
    var scope: String?
    var keyspace: String?
    var table: String?
    var entity: String?
    var sequenceNumber: Int?
    var locality: String?
    var abortable: Bool?
    var folded: Bool?
    var attempts: [AttemptView]?

    init(_ task: TaskRecord, attempts: [Attempt]? = nil) {
        id = task.id.rawValue
        queue = task.queue
        handler = task.handler
        state = task.state.rawValue
        priority = task.priority
        attempt = task.attempt
        maxAttempts = task.retry.maxAttempts
        arguments = JSONValue(parsing: task.arguments) ?? .string(task.arguments)
        result = task.result.map { JSONValue(parsing: $0) ?? .string($0) }
        message = task.message
        lastError = task.lastError
        runAt = task.runAt.iso8601
        createdAt = task.createdAt.iso8601
        startedAt = task.startedAt?.iso8601
        finishedAt = task.finishedAt?.iso8601
        worker = task.worker
        leaseExpiresAt = task.leaseExpiresAt?.iso8601
        idempotencyKey = task.idempotencyKey
        parentID = task.parentID?.rawValue
        rootID = task.rootID?.rawValue
        module = task.module
        tags = task.tags
        name = task.name
        timeout = task.timeout.map(WholeOrFraction.init)
        if let completed = task.progressCompleted {
            progress = ["completed": Output.number(completed)]
            progress?["total"] = task.progressTotal.map(Output.number)
            progress?["units"] = task.progressUnits
        }
        (type, scope, keyspace, table, entity) = (task.type, task.scope, task.keyspace, task.table, task.entity)
        sequenceNumber = task.sequenceNumber
        locality = task.locality == .global ? task.locality.rawValue : nil
        abortable = task.isAbortable ? nil : false
        folded = task.isFolded ? true : nil
        self.attempts = attempts?.map(AttemptView.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, queue, handler, state, priority, attempt
        case maxAttempts = "max_attempts"
        case arguments, result, message
        case lastError = "last_error"
        case runAt = "run_at"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case worker
        case leaseExpiresAt = "lease_expires_at"
        case idempotencyKey = "idempotency_key"
        case parentID = "parent_id"
        case rootID = "root_id"
        case module, tags, name, timeout, progress, type, scope, keyspace, table, entity
        case sequenceNumber = "sequence_number"
        case locality, abortable, folded, attempts
    }

    static let tableHeader = ["ID", "QUEUE", "HANDLER", "STATE", "PRI", "ATTEMPT", "CREATED", "RESULT"]

    var tableRow: [String] {
        let outcome = result?.jsonText ?? lastError ?? message ?? ""
        return [
            id, queue, handler, state, "\(priority)", "\(attempt)/\(maxAttempts == RetryPolicy.unlimited ? "-" : "\(maxAttempts)")",
            createdAt ?? "",
            outcome.count > 40 ? String(outcome.prefix(39)) + "…" : outcome,
        ]
    }
}

/// One line of the launch log as the CLI shows it.
struct AttemptView: Encodable {
    var number: Int
    var worker: String
    var outcome: String
    var startedAt: String?
    var finishedAt: String?
    var message: String?
    /// The node that salvaged the attempt after its worker was lost.
    var salvagedBy: String?
    var salvagedAt: String?

    init(_ attempt: Attempt) {
        number = attempt.number
        worker = attempt.worker
        outcome = attempt.outcome.rawValue
        startedAt = attempt.startedAt.iso8601
        finishedAt = attempt.finishedAt.iso8601
        message = attempt.message
        salvagedBy = attempt.salvagedBy
        salvagedAt = attempt.salvagedAt?.iso8601
    }

    enum CodingKeys: String, CodingKey {
        case number, worker, outcome
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case message
        case salvagedBy = "salvaged_by"
        case salvagedAt = "salvaged_at"
    }
}

/// A queue as the CLI shows it.
struct QueueView: Encodable {
    var name: String
    var state: String
    var createdAt: String?
    var updatedAt: String?

    init(_ queue: QueueRecord) {
        name = queue.name
        state = queue.state.rawValue
        createdAt = queue.createdAt.iso8601
        updatedAt = queue.updatedAt.iso8601
    }

    enum CodingKeys: String, CodingKey {
        case name, state
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A number (seconds, progress), written as a whole number when it is one (YAML would write 100.0 as 1e+2).
struct WholeOrFraction: Encodable {
    var value: Double

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
    }
}
