import ArgumentParser
import Errand
import ErrandCore
import ErrandStore
import Foundation

/// `errand task tree ID`: the task and its descendants as an indented tree.
struct TaskTreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Show a task and its descendants as a tree, with states and progress.",
        discussion: "The table form draws the tree; yaml and json nest each task's children under it."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Option(name: [.short, .long], help: "Output format: table (the drawn tree), yaml or json.") var output: OutputFormat = .table

    func run() async throws {
        let id = try parseTaskID(id)
        let tree = try await store.client().tree(of: id)
        guard let task = tree.tasks[id] else { throw StoreError.notFound(id) }
        try Output.print(TreeNodeView(task, in: tree), as: output) { Self.draw(id, in: tree) }
    }

    /// One line per task, children under their parent with box-drawing branches.
    static func draw(_ id: TaskID, in tree: TaskTree) -> String {
        var lines: [String] = []
        func visit(_ task: TaskRecord, lead: String, branch: String) {
            lines.append(branch + line(task, in: tree))
            let children = tree.children(of: task.id)
            for (index, child) in children.enumerated() {
                let last = index == children.count - 1
                visit(child, lead: lead + (last ? "    " : "│   "), branch: lead + (last ? "└── " : "├── "))
            }
        }
        if let task = tree.tasks[id] { visit(task, lead: "", branch: "") }
        return lines.joined(separator: "\n")
    }

    /// `ID  TYPE [SCOPE LABELS]  STATE  COMPLETED/TOTAL UNITS`.
    static func line(_ task: TaskRecord, in tree: TaskTree) -> String {
        let labels = [task.scope, task.keyspace, task.table, task.entity].compactMap { $0 }.joined(separator: " ")
        let progress = tree.progress(of: task.id)
        var parts = [task.id.rawValue, (task.type ?? task.handler) + (labels.isEmpty ? "" : " [\(labels)]"), task.state.rawValue]
        parts.append("\(Output.number(progress.completed))/\(Output.number(progress.total))" + (task.progressUnits.map { " \($0)" } ?? ""))
        if !task.managerError.isEmpty { parts.append(task.managerError) }
        if task.isFolded { parts.append("(folded)") }
        return parts.joined(separator: "  ")
    }
}

/// A task with its children nested, for `task tree -o yaml|json`.
struct TreeNodeView: Encodable {
    var task: TaskStatusView
    var children: [TreeNodeView]

    init(_ task: TaskRecord, in tree: TaskTree) {
        self.task = TaskStatusView(task, in: tree)
        children = tree.children(of: task.id).map { TreeNodeView($0, in: tree) }
    }
}

/// `errand task status ID [--recursive]`: the task manager's status of a task (and its descendants).
struct TaskStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a task's status in the task manager's terms (ScyllaDB's field names).",
        discussion: "Reading a status never removes a finished task: it stays until its TTL."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Flag(help: "The task and all its descendants, breadth first.") var recursive = false
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .yaml

    func run() async throws {
        let id = try parseTaskID(id)
        let tree = try await store.client().tree(of: id)
        guard let task = tree.tasks[id] else { throw StoreError.notFound(id) }
        let views = (recursive ? tree.breadthFirst(from: id) : [task]).map { TaskStatusView($0, in: tree) }
        let table = { Output.table(TaskStatusView.tableHeader, views.map(\.tableRow)) }
        if recursive { try Output.print(views, as: output, table: table) } else { try Output.print(views[0], as: output, table: table) }
    }
}

/// A task as ScyllaDB's task manager shows it (the `task_status` of `/task_manager/task_status`).
struct TaskStatusView: Encodable {
    var id: String
    var type: String
    var kind: String
    var scope: String
    var state: String
    var isAbortable: Bool
    var startTime: String?
    var endTime: String?
    var error: String
    var parentID: String?
    var sequenceNumber: Int?
    var keyspace: String?
    var table: String?
    var entity: String?
    var progressUnits: String?
    var progressTotal: WholeOrFraction
    var progressCompleted: WholeOrFraction
    var childrenIDs: [String]

    init(_ task: TaskRecord, in tree: TaskTree) {
        let progress = tree.progress(of: task.id)
        id = task.id.rawValue
        type = task.type ?? task.handler
        kind = task.locality.rawValue
        scope = task.scope ?? ""
        state = tree.managerState(of: task.id)
        isAbortable = task.isAbortable
        startTime = task.startedAt?.iso8601
        endTime = task.finishedAt?.iso8601
        error = task.managerError
        parentID = task.parentID?.rawValue
        sequenceNumber = task.sequenceNumber
        keyspace = task.keyspace
        table = task.table
        entity = task.entity
        progressUnits = task.progressUnits
        progressTotal = WholeOrFraction(value: progress.total)
        progressCompleted = WholeOrFraction(value: progress.completed)
        childrenIDs = tree.children(of: task.id).map(\.id.rawValue)
    }

    enum CodingKeys: String, CodingKey {
        case id, type, kind, scope, state
        case isAbortable = "is_abortable"
        case startTime = "start_time"
        case endTime = "end_time"
        case error
        case parentID = "parent_id"
        case sequenceNumber = "sequence_number"
        case keyspace, table, entity
        case progressUnits = "progress_units"
        case progressTotal = "progress_total"
        case progressCompleted = "progress_completed"
        case childrenIDs = "children_ids"
    }

    static let tableHeader = ["ID", "STATE", "TYPE", "SCOPE", "PROGRESS", "PARENT", "ERROR"]

    var tableRow: [String] {
        [
            id, state, type, scope,
            "\(Output.number(progressCompleted.value))/\(Output.number(progressTotal.value))"
                + (progressUnits.map { " \($0)" } ?? ""),
            parentID ?? "", error,
        ]
    }
}

/// `errand task abort ID`: cancels the task and its unfinished abortable descendants.
struct TaskAbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort a task and its unfinished descendants (those that are abortable).",
        discussion: """
            Running tasks see cancellation at their worker's next heartbeat. A task that is not abortable refuses \
            (exit status 1); a descendant that is not abortable keeps running, with its own descendants.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Option(help: "Why, recorded as the task's message.") var reason: String?

    func run() async throws {
        let id = try parseTaskID(id)
        let client = try await store.client()
        let task = try await client.abort(id, reason: reason)
        let cascaded = try await client.recursiveStatus(of: id).filter { $0.message == TaskTree.abortReason(of: id) }.count
        print("\(task.id) \(task.state.rawValue)" + (cascaded > 0 ? " with \(cascaded) descendants" : ""))
    }
}

/// `errand task broadcast HANDLER`: one global task, run once on every live worker that runs the handler.
struct TaskBroadcastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast",
        abstract: "Run a handler once on every live worker that runs it, as one global task.",
        discussion: """
            Prints the global task's id; `errand task status ID` shows its state and progress, derived from its \
            per-worker parts, and `errand task wait ID` waits for all of them.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Handler to run, e.g. errand.echo.") var handler: String
    @Option(help: "Arguments as JSON text.") var args: String = "{}"
    @Option(help: "Queue.") var queue: String = QueueName.default
    @Option(help: "Module.") var module: String?

    func run() async throws {
        let (task, parts) = try await store.client().broadcast(handler, arguments: args, queue: queue, module: module, byUser: true)
        print(task.id)
        FileHandle.standardError.write(
            Data("errand: \(parts.count) part\(parts.count == 1 ? "" : "s"): \(parts.compactMap(\.targetWorker).joined(separator: ", "))\n".utf8)
        )
    }
}
