package import Errand
package import ErrandCore
package import ErrandStore
import Foundation

/// Tasks as ScyllaDB's task manager API shows them (`task_status`, `task_stats`), for the `/task_manager` paths.
///
/// Field names and value shapes are ScyllaDB's (`api/task_manager.cc`'s `make_status` and `make_stats`): every field
/// is present, an unknown text is `""`, an unset time is 1970-01-01T00:00:00Z, a root's `parent_id` is `"none"`,
/// `kind` is `node` (a local task) or `cluster` (a global one), `children_ids` are `{task_id, node}` pairs (the node is
/// the worker that runs the child, or else the one it is meant for; `""` otherwise), `shard` is 0 (Errand has no
/// shards). A virtual task (a global task's own row, which no worker runs) starts when it is created. States map as
/// ``TaskRecord/managerState`` says; `error` is ``TaskRecord/managerError``. `errand task status` prints the same.
package enum TaskManagerJSON {
    /// A root's `parent_id`, as ScyllaDB writes it.
    static let noParent = "none"

    /// A time in ScyllaDB's form: whole seconds, UTC; the epoch when unset.
    static func time(_ date: Date?) -> OutputJSON {
        .string((date ?? Date(timeIntervalSince1970: 0)).iso8601Seconds)
    }

    /// ScyllaDB's `kind`: `node` or `cluster`.
    static func kind(_ task: TaskRecord) -> OutputJSON { .string(task.locality == .global ? "cluster" : "node") }

    /// When the task started: its first attempt's start, or a virtual task's creation (no worker ever runs it).
    static func startTime(_ task: TaskRecord) -> OutputJSON { time(task.startedAt ?? (task.isVirtual ? task.createdAt : nil)) }

    package static func status(_ task: TaskRecord, in tree: TaskTree) -> OutputJSON {
        let progress = tree.progress(of: task.id)
        return .object([
            ("id", .string(task.id.rawValue)),
            ("type", .string(task.type ?? task.handler)),
            ("kind", kind(task)),
            ("scope", .string(task.scope ?? "")),
            ("state", .string(tree.managerState(of: task.id))),
            ("is_abortable", .bool(task.isAbortable)),
            ("start_time", startTime(task)),
            ("end_time", time(task.finishedAt)),
            ("error", .string(task.managerError)),
            ("parent_id", .string(task.parentID?.rawValue ?? noParent)),
            ("sequence_number", .int(task.sequenceNumber ?? 0)),
            ("shard", .int(0)),
            ("keyspace", .string(task.keyspace ?? "")),
            ("table", .string(task.table ?? "")),
            ("entity", .string(task.entity ?? "")),
            ("progress_units", .string(task.progressUnits ?? "")),
            ("progress_total", .double(progress.total)),
            ("progress_completed", .double(progress.completed)),
            (
                "children_ids",
                .array(
                    tree.children(of: task.id).map { child in
                        .object([("task_id", .string(child.id.rawValue)), ("node", .string(child.worker ?? child.targetWorker ?? ""))])
                    }
                )
            ),
        ])
    }

    /// A module's tasks as `list_module_tasks` answers them (and `errand module tasks` prints them): a global
    /// task's state, until it ends, is its parts'.
    package static func stats(of tasks: [TaskRecord], client: ErrandClient) async throws -> OutputJSON {
        var stats: [OutputJSON] = []
        for task in tasks {
            let state = task.isVirtual && !task.state.isFinal ? try await client.tree(of: task.id).managerState(of: task.id) : nil
            stats.append(Self.stats(task, state: state))
        }
        return .array(stats)
    }

    /// `state` is the task's own unless given (a global task's, derived from its parts).
    static func stats(_ task: TaskRecord, state: String? = nil) -> OutputJSON {
        .object([
            ("task_id", .string(task.id.rawValue)),
            ("state", .string(state ?? task.managerState)),
            ("type", .string(task.type ?? task.handler)),
            ("kind", kind(task)),
            ("scope", .string(task.scope ?? "")),
            ("keyspace", .string(task.keyspace ?? "")),
            ("table", .string(task.table ?? "")),
            ("entity", .string(task.entity ?? "")),
            ("sequence_number", .int(task.sequenceNumber ?? 0)),
            ("shard", .int(0)),
            ("start_time", startTime(task)),
            ("end_time", time(task.finishedAt)),
        ])
    }
}
