package import ErrandCore
package import Foundation

/// How records read in the API: the shapes `components.schemas` describes (`Task`, `Attempt`, `Queue`…). The one
/// JSON form of each resource: the server answers with it, and the CLI's `-o json` and `-o yaml` print it.
package enum Representation {
    package static func task(_ task: TaskRecord) -> OutputJSON { .object(taskMembers(task)) }

    /// A task as listings and reads of one task show it: with `unknown_task`, whether it waits and no live worker
    /// among `takers` takes it.
    package static func task(_ task: TaskRecord, takers: TaskTakers) -> OutputJSON {
        .object(taskMembers(task) + [("unknown_task", .bool(takers.cannotTake(task)))])
    }

    /// A task's members, in order: for documents that add their own (a child process's `task.json`).
    package static func taskMembers(_ task: TaskRecord) -> [(String, OutputJSON)] {
        let progress: OutputJSON =
            task.progressCompleted.map { .object([("completed", .number($0)), ("total", .number(task.progressTotal))]) } ?? .null
        let members: [(String, OutputJSON)] = [
            ("id", .string(task.id.rawValue)),
            ("queue", .string(task.queue)),
            ("handler", .string(task.handler)),
            ("name", .nullable(task.name)),
            ("state", .string(task.state.rawValue)),
            ("priority", .int(task.priority)),
            ("attempt", .int(task.attempt)),
            ("charged_attempts", .int(task.chargedAttempts)),
            ("retry", retry(task.retry)),
            ("time_to_resolve", .number(task.timeToResolve)),
            ("timeout", .number(task.timeout)),
            ("arguments", .stored(task.arguments)),
            ("result", .stored(task.result)),
            ("message", .nullable(task.message)),
            ("last_error", .nullable(task.lastError)),
            ("run_at", .date(task.runAt)),
            ("created_at", .date(task.createdAt)),
            ("started_at", .date(task.startedAt)),
            ("finished_at", .date(task.finishedAt)),
            ("worker", .nullable(task.worker)),
            ("lease_expires_at", .date(task.leaseExpiresAt)),
            ("idempotency_key", .nullable(task.idempotencyKey)),
            ("parent_id", .nullable(task.parentID?.rawValue)),
            ("root_id", .nullable(task.rootID?.rawValue)),
            ("module", .nullable(task.module)),
            ("internal", .bool(task.isInternal)),
            ("tags", .array(task.tags.map { .string($0) })),
            ("progress", progress),
        ]
        return members + labels(of: task.treeFields.values) + [
            ("locality", .string(task.locality.rawValue)),
            ("abortable", .bool(task.isAbortable)),
            ("sequence_number", task.sequenceNumber.map { .int($0) } ?? .null),
            ("user_task", .bool(task.isUserTask)),
            ("target_worker", .nullable(task.targetWorker)),
            ("has_children", .bool(task.hasChildren)),
            ("folded", .bool(task.isFolded)),
            ("meta", .stored(task.meta)),
            ("fixed_lease", .bool(task.fixedLease)),
            ("requires", .array(task.requires.map { .string($0) })),
        ]
    }

    /// The tree's labels, as members named as in ``TaskTreeFields/Values/labels``.
    package static func labels(of tree: TaskTreeFields.Values) -> [(String, OutputJSON)] {
        TaskTreeFields.Values.labels.map { name, field in (name, .nullable(tree[keyPath: field])) }
    }

    package static func retry(_ policy: RetryPolicy) -> OutputJSON {
        .object([
            ("max_attempts", .int(policy.maxAttempts)),
            ("delay", .number(policy.delay)),
            ("delay_factor", .number(policy.delayFactor)),
            ("max_delay", .number(policy.maxDelay)),
            ("jitter", .number(policy.jitter)),
            ("priority_decrement", .int(policy.priorityDecrement)),
        ])
    }

    package static func attempt(_ attempt: Attempt) -> OutputJSON {
        .object([
            ("task_id", .string(attempt.taskID.rawValue)),
            ("number", .int(attempt.number)),
            ("handler", .string(attempt.handler)),
            ("worker", .string(attempt.worker)),
            ("started_at", .date(attempt.startedAt)),
            ("finished_at", .date(attempt.finishedAt)),
            ("outcome", .string(attempt.outcome.rawValue)),
            ("message", .nullable(attempt.message)),
            ("result", .stored(attempt.result)),
            ("salvaged_by", .nullable(attempt.salvagedBy)),
            ("salvaged_at", .date(attempt.salvagedAt)),
        ])
    }

    package static func counts(_ counts: [TaskState: Int]) -> OutputJSON {
        .object(TaskState.allCases.map { ($0.rawValue, .int(counts[$0] ?? 0)) })
    }

    /// One queue's task counts, a member of `/v1/statistics`'s `queues` (and `errand stats -o json`).
    package static func statistics(_ queue: QueueStatistics) -> OutputJSON {
        .object([("queue", .string(queue.queue)), ("counts", counts(queue.counts)), ("total", .int(queue.total))])
    }

    /// Counts in Tarantool's vocabulary and spelling (`statistics().statuses`: `did not start`, `unknown task`,
    /// `total`), in its order.
    package static func statuses(_ statistics: LaunchStatistics) -> OutputJSON {
        .object(LaunchStatus.tarantoolKeys.map { ($0, .int(statistics.count(named: $0))) })
    }

    /// `/v1/statistics`' `statuses` (every task) and `definitions` (each definition's launches, by name), and
    /// `errand stats --definitions -o json`.
    package static func taskStatuses(_ statuses: TaskStatuses) -> [(String, OutputJSON)] {
        [
            ("statuses", self.statuses(statuses.all)),
            ("definitions", .object(statuses.definitions.map { ($0.module ?? "", self.statuses($0)) })),
        ]
    }

    /// One run of an observer (a task of `errand.observe`): `/v1/observers`' reports, the data of a `report` event, and
    /// `errand observer reports`. `report` is the run's result, `{"observer", "at", "count", "task_ids"}` (`null`
    /// unless it completed).
    package static func observerReport(_ task: TaskRecord) -> OutputJSON {
        .object([
            ("task_id", .string(task.id.rawValue)),
            ("state", .string(task.state.rawValue)),
            ("finished_at", .date(task.finishedAt)),
            ("report", .stored(task.result)),
        ])
    }

    /// The tasks finished in one minute, a member of `/v1/statistics/finished`'s `minutes`.
    package static func finishedMinute(_ minute: FinishedMinute) -> OutputJSON {
        .object([("minute", .date(minute.minute)), ("counts", counts(minute.counts)), ("total", .int(minute.total))])
    }

    package static func queue(_ queue: QueueRecord, statistics: QueueStatistics?) -> OutputJSON {
        .object([
            ("name", .string(queue.name)),
            ("state", .string(queue.state.rawValue)),
            ("created_at", .date(queue.createdAt)),
            ("updated_at", .date(queue.updatedAt)),
            ("retry_priority_decrement", .int(queue.retryPriorityDecrement)),
            ("counts", counts(statistics?.counts ?? [:])),
            ("total", .int(statistics?.total ?? 0)),
        ])
    }

    package static func worker(_ worker: WorkerRecord) -> OutputJSON {
        .object([
            ("id", .string(worker.id)),
            ("name", .string(worker.name)),
            ("lease_name", .string(worker.leaseName)),
            ("state", .string(worker.state.rawValue)),
            ("queues", .array(worker.queues.map { .string($0) })),
            ("started_at", .date(worker.startedAt)),
            ("last_heartbeat_at", .date(worker.lastHeartbeatAt)),
            ("expires_at", .date(worker.expiresAt)),
            ("heartbeat_expiration", .number(worker.heartbeatExpiration)),
            ("salvage_after", .number(worker.salvageAfter)),
            ("finished_at", .date(worker.finishedAt)),
            ("salvaged_by", .nullable(worker.salvagedBy)),
            ("salvaged_at", .date(worker.salvagedAt)),
            ("spec", .stored(worker.spec)),
        ])
    }

    /// A definition, with the next three fire times after `now` of a periodical one (in its zone), for the dashboard.
    /// A definition; `stored` is its row when it was created over the API (`source: api`), `nil` for the file's.
    package static func definition(_ definition: TaskDefinition, enabled: Bool, now: Date, stored: StoredDefinition? = nil) -> OutputJSON {
        let next = definition.nextRuns(after: now)
        var origin: [(String, OutputJSON)] = [("source", .string(stored == nil ? "file" : "api"))]
        if let stored {
            origin += [("spec", .stored(stored.spec)), ("created_at", .date(stored.createdAt)), ("updated_at", .date(stored.updatedAt))]
        }
        return .object(
            [
                ("name", .string(definition.name)),
                ("enabled", .bool(enabled)),
                ("kind", .string(definition.kind.rawValue)),
                ("handler", .string(definition.handler)),
                ("queue", .string(definition.queue)),
                ("schedule", .nullable(definition.schedule?.description)),
                ("time_zone", .string(definition.timeZone)),
                ("next_runs", .array(next.map { .date($0) })),
                ("arguments", .stored(definition.arguments)),
            ] + origin
        )
    }

    package static func deadLetter(_ letter: DeadLetter) -> OutputJSON {
        .object([
            ("id", .string(letter.id)),
            ("queue", .nullable(letter.queue)),
            ("body", .string(letter.body)),
            ("error", .string(letter.error)),
            ("created_at", .date(letter.createdAt)),
        ])
    }
}
