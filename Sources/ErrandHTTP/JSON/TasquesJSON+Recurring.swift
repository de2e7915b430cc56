import ErrandCore
import ErrandStore
import Foundation

/// tasques' recurring tasks (`recurring.Task`) as a view of Errand's periodical definitions.
extension Tasques {
    /// The definition's spec (the configuration file's keys, as kept in the store) for tasques' recurring task:
    /// its `task_definition` members, its `schedule_expression` and `skip_if_outstanding_tasks_exist`.
    static func recurringSpec(schedule: String, task: BodyObject, skipIfOutstanding: Bool) throws -> String {
        let priority = task.int("priority") ?? 0
        var meta: [(String, OutputJSON)] = [("priority", .int(priority))]
        if let context = task.rawJSON("context"), !task.isNull("context") { meta.append(("context", .raw(context))) }
        let retry = Tasques.retry(times: task.int("retry_times") ?? Tasques.defaultRetryTimes)
        var members: [(String, OutputJSON)] = [
            ("kind", "periodical"),
            ("handler", .string(task.string("kind") ?? "")),
            ("queue", .string(task.string("queue") ?? "")),
            ("schedule", .string(schedule)),
            ("priority", .int(Tasques.errandPriority(priority))),
            ("max_attempts", .int(retry.maxAttempts)),
            ("delay", .number(retry.delay)),
            ("delay_factor", .number(retry.delayFactor)),
            ("max_delay", .number(retry.maxDelay)),
            ("jitter", .number(retry.jitter)),
            ("time_to_resolve", .number(try Tasques.duration(task, "processing_timeout") ?? Tasques.defaultProcessingTimeout)),
            // tasques' reports extend a claim.
            ("fixed_lease", .bool(false)),
            ("skip_if_outstanding", .bool(skipIfOutstanding)),
            // tasques' cron runs the slots that come while a leader runs; a missed one is not made up.
            ("catch_up", "none"),
            ("meta", .object(meta)),
        ]
        members.append(("args", task.isNull("args") ? .null : .raw(task.rawJSON("args") ?? "null")))
        return OutputJSON.object(members).text
    }

    /// A periodical definition as tasques' `recurring.Task`.
    static func recurring(_ definition: TaskDefinition, stored: StoredDefinition?) -> OutputJSON {
        var metadata: [(String, OutputJSON)] = []
        if let stored { metadata = [("created_at", .date(stored.createdAt)), ("modified_at", .date(stored.updatedAt))] }
        return .object([
            ("id", .string(definition.name)),
            ("schedule_expression", .string(definition.schedule?.expression ?? "")),
            ("task_definition", .object(taskDefinition(definition))),
            ("skip_if_outstanding_tasks_exist", .bool(definition.skipIfOutstanding)),
            ("metadata", .object(metadata)),
        ])
    }

    /// A definition's launches as tasques' `recurring.TaskDefinition` members.
    static func taskDefinition(_ definition: TaskDefinition) -> [(String, OutputJSON)] {
        let meta = members(definition.meta)
        var members: [(String, OutputJSON)] = [
            ("queue", .string(definition.queue)),
            ("retry_times", .int(retryTimes(definition.retry))),
            ("kind", .string(definition.handler)),
            ("priority", priority(meta, errand: definition.priority)),
            ("processing_timeout", .string(GoDuration.text(definition.timeToResolve))),
        ]
        if isObject(definition.arguments) { members.append(("args", .stored(definition.arguments))) }
        if let context = meta["context"] { members.append(("context", .raw(context))) }
        return members
    }
}
