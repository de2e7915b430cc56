import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// `errand task tree ID`: the task and its descendants as an indented tree.
struct TaskTreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Show a task and its descendants as a tree, with states and progress.",
        discussion: "The table form draws the tree; yaml and json nest each task's status (as `task status`) and children."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Option(name: [.short, .long], help: "Output format: table (the drawn tree), yaml or json.") var output: OutputFormat = .table

    func run() async throws {
        let id = try parseTaskID(id)
        let tree = try await store.client().tree(of: id)
        guard let task = tree.tasks[id] else { throw StoreError.notFound(id) }
        try Output.print(Self.nested(task, in: tree), as: output) { Self.draw(id, in: tree) }
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

    /// `{"task": STATUS, "children": [...]}`: the task's status as the task manager API answers it, and its children's.
    static func nested(_ task: TaskRecord, in tree: TaskTree) -> OutputJSON {
        .object([
            ("task", TaskManagerJSON.status(task, in: tree)),
            ("children", .array(tree.children(of: task.id).map { nested($0, in: tree) })),
        ])
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

/// `errand task status ID [--recursive]`: the task manager's status of a task (and its descendants).
struct TaskStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a task's status in the task manager's terms (ScyllaDB's field names).",
        discussion: """
            -o json|yaml print what /task_manager/task_status/ID (with --recursive, task_status_recursive) answers. \
            Reading a status never removes a finished task: it stays until its TTL.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Task id.") var id: String
    @Flag(help: "The task and all its descendants, breadth first.") var recursive = false
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .yaml

    func run() async throws {
        let id = try parseTaskID(id)
        let tree = try await store.client().tree(of: id)
        guard let task = tree.tasks[id] else { throw StoreError.notFound(id) }
        let tasks = recursive ? tree.breadthFirst(from: id) : [task]
        let statuses = tasks.map { TaskManagerJSON.status($0, in: tree) }
        try Output.print(recursive ? .array(statuses) : statuses[0], as: output) {
            Output.table(["ID", "STATE", "TYPE", "SCOPE", "PROGRESS", "PARENT", "ERROR"], tasks.map { Self.row($0, in: tree) })
        }
    }

    /// The table's row: the status's essentials.
    static func row(_ task: TaskRecord, in tree: TaskTree) -> [String] {
        let progress = tree.progress(of: task.id)
        return [
            task.id.rawValue, tree.managerState(of: task.id), task.type ?? task.handler, task.scope ?? "",
            "\(Output.number(progress.completed))/\(Output.number(progress.total))" + (task.progressUnits.map { " \($0)" } ?? ""),
            task.parentID?.rawValue ?? "", task.managerError,
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
