/// The columns of a task row and of an attempt row, in the order both stores read and write them (SQLite's
/// `errand_task` and PostgreSQL's `task`): a row decoder reads column `n` as the `n`th name here.
package enum TaskColumns {
    package static let task = [
        "id", "queue", "handler", "arguments", "priority", "run_at", "state", "attempt", "charged_attempts",
        "max_attempts", "retry_delay", "retry_delay_factor", "retry_max_delay", "retry_jitter", "retry_priority_decrement",
        "time_to_resolve", "idempotency_key", "parent_id", "root_id", "module", "internal", "tags", "created_at",
        "started_at", "finished_at", "result", "message", "last_error", "worker", "lease_expires_at", "name",
        "timeout", "progress_completed", "progress_total", "progress_units", "type", "scope", "entity", "keyspace",
        "table_name", "locality", "abortable", "sequence_number", "user_task", "target_worker", "has_children", "folded", "meta",
        "fixed_lease", "requires",
    ]

    /// The task columns an enqueue writes: those a new task can have set, in `task` order.
    package static let enqueued = task.filter { !afterEnqueue.contains($0) }

    private static let afterEnqueue: Set<String> = [
        "started_at", "finished_at", "result", "message", "last_error", "worker", "lease_expires_at", "progress_completed",
        "progress_total", "has_children", "folded",
    ]

    package static let attempt = "task_id, number, handler, worker, started_at, finished_at, outcome, message, result, salvaged_by, salvaged_at"
}
