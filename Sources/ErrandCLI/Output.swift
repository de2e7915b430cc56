import ArgumentParser
import ErrandCore
import ErrandHTTP
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
    static func number(_ value: Double) -> String { OutputJSON.number(value).text }

    /// Prints `json` — the API's representation of what was asked for, so that `-o json` prints what the HTTP API
    /// answers — in `format`, using `table` for the table form. JSON is indented; YAML is the same document.
    static func print(_ json: OutputJSON, as format: OutputFormat, table: () -> String) throws {
        switch format {
        case .yaml: Swift.print(try yaml(json))
        case .json: Swift.print(json.prettyText)
        case .table: Swift.print(table())
        }
    }

    /// The document as YAML: `json`'s members in their order, its numbers as written (a task's stored arguments
    /// included), strings unquoted where YAML reads them back as the same strings.
    static func yaml(_ json: OutputJSON) throws -> String {
        guard let node = try Yams.compose(yaml: json.text) else { return "null" }
        return try Yams.serialize(node: block(node)).trimmingCharacters(in: .newlines)
    }

    /// `node` (composed from JSON, so in flow style with every string double-quoted) in block style, with strings
    /// plain where that reads back as the same string.
    private static func block(_ node: Node) -> Node {
        switch node {
        case .mapping(let mapping): return .mapping(Node.Mapping(mapping.map { (block($0.key), block($0.value)) }, .implicit, .block))
        case .sequence(let sequence): return .sequence(Node.Sequence(sequence.map(block), .implicit, .block))
        case .scalar(let scalar):
            guard scalar.style == .doubleQuoted else { return .scalar(Node.Scalar(scalar.string, .implicit, scalar.style)) }
            let plain = Node.scalar(Node.Scalar(scalar.string, .implicit, .plain))
            let text = scalar.string
            let safe =
                !text.isEmpty && Resolver.default.resolveTag(of: plain) == .str && text.unicodeScalars.allSatisfy { $0.value >= 0x20 }
                && text.trimmingCharacters(in: .whitespaces) == text
            return safe ? plain : .scalar(Node.Scalar(text, .implicit, .doubleQuoted))
        case .alias: return node
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

/// The table rows of the resources the CLI lists: views of the records, whose JSON and YAML forms are the API's
/// (``Representation``).
enum Tables {
    static let taskHeader = ["ID", "QUEUE", "HANDLER", "STATE", "PRI", "ATTEMPT", "CREATED", "RESULT"]

    /// One task's row; its state reads `pending (unknown task)` when it waits and no live worker among `takers` takes it.
    static func task(_ task: TaskRecord, takers: TaskTakers? = nil) -> [String] {
        let outcome = task.result ?? task.lastError ?? task.message ?? ""
        let maxAttempts = task.retry.maxAttempts == RetryPolicy.unlimited ? "-" : "\(task.retry.maxAttempts)"
        let state = task.state.rawValue + (takers?.cannotTake(task) == true ? " (unknown task)" : "")
        return [
            task.id.rawValue, task.queue, task.handler, state, "\(task.priority)", "\(task.attempt)/\(maxAttempts)",
            task.createdAt.iso8601, outcome.count > 40 ? String(outcome.prefix(39)) + "…" : outcome,
        ]
    }

    static let attemptHeader = ["NUMBER", "WORKER", "OUTCOME", "STARTED", "FINISHED", "MESSAGE"]

    static func attempt(_ attempt: Attempt) -> [String] {
        ["\(attempt.number)", attempt.worker, attempt.outcome.rawValue, attempt.startedAt.iso8601, attempt.finishedAt.iso8601, attempt.message ?? ""]
    }

    static let deadLetterHeader = ["ID", "QUEUE", "CREATED", "ERROR"]

    static func deadLetter(_ letter: DeadLetter) -> [String] {
        [letter.id, letter.queue ?? "", letter.createdAt.iso8601, letter.error]
    }
}
