package import ErrandCore
package import ErrandStore
import Foundation

/// The `NewTask` shape, both ways: written by the remote client, read by the server, with the same members.
extension Representation {
    /// A task to enqueue as a request body (the client's side).
    package static func newTask(_ task: NewTask) -> OutputJSON {
        .object(
            [
                ("handler", .string(task.handler)),
                ("arguments", .raw(task.arguments)),
                ("queue", .string(task.queue)),
                ("priority", .int(task.priority)),
                ("run_at", .date(task.runAt)),
                ("retry", retry(task.retry)),
                ("time_to_resolve", .number(task.timeToResolve)),
                ("idempotency_key", .nullable(task.idempotencyKey)),
                ("parent_id", .nullable(task.parentID?.rawValue)),
                ("module", .nullable(task.module)),
                ("tags", .array(task.tags.map { .string($0) })),
                ("name", .nullable(task.name)),
                ("timeout", .number(task.timeout)),
                ("internal", .bool(task.isInternal)),
                ("locality", .string(task.locality.rawValue)),
                ("abortable", .bool(task.isAbortable)),
                ("user_task", .bool(task.isUserTask)),
                ("target_worker", .nullable(task.targetWorker)),
                ("meta", task.meta.map { .raw($0) } ?? .null),
                ("fixed_lease", .bool(task.fixedLease)),
                ("requires", .array(task.requires.map { .string($0) })),
            ] + labels(of: task.tree)
        )
    }

    /// A task to enqueue from a (checked) `NewTask` object (the server's side); the rules the document cannot say
    /// are checked here.
    /// - Throws: ``Problem`` 400 naming the field that fails validation.
    static func newTask(from body: BodyObject) throws -> NewTask {
        var task = NewTask(handler: body.string("handler") ?? "")
        if let arguments = body.rawJSON("arguments") { task.arguments = arguments }
        if let queue = body.string("queue") { task.queue = queue }
        if let priority = body.int("priority") { task.priority = priority }
        if let runAt = body.string("run_at") { task.runAt = RFC3339.date(runAt) }
        if let retry = body.object("retry") { task.retry = retryPolicy(from: retry) }
        if let ttr = body.double("time_to_resolve") { task.timeToResolve = ttr }
        task.idempotencyKey = body.string("idempotency_key")
        task.parentID = body.string("parent_id").flatMap(TaskID.init)
        task.module = body.string("module")
        task.tags = body.strings("tags")
        task.name = body.string("name")
        task.timeout = body.double("timeout")
        task.fixedLease = body.bool("fixed_lease") ?? false
        task.requires = body.strings("requires")
        task.isInternal = body.bool("internal") ?? false
        for (name, field) in TaskTreeFields.Values.labels { task.tree[keyPath: field] = body.string(name) }
        task.locality = body.string("locality").flatMap(TaskLocality.init(rawValue:)) ?? .local
        task.isAbortable = body.bool("abortable") ?? true
        // Over HTTP a task is a user's unless the caller says otherwise (its finished root is kept for the user TTL).
        task.isUserTask = body.bool("user_task") ?? true
        task.targetWorker = body.string("target_worker")
        if !body.isNull("meta") { task.meta = body.rawJSON("meta") }
        do {
            try task.validate()
        } catch {
            throw Problem.badRequest(error.description)
        }
        return task
    }

    /// A retry policy as a request gives it: the default's values where members are left out.
    static func retryPolicy(from body: BodyObject) -> RetryPolicy {
        var policy = RetryPolicy.default
        if let value = body.int("max_attempts") { policy.maxAttempts = value }
        if let value = body.double("delay") { policy.delay = value }
        if let value = body.double("delay_factor") { policy.delayFactor = value }
        if let value = body.double("max_delay") { policy.maxDelay = value }
        if let value = body.double("jitter") { policy.jitter = value }
        if let value = body.int("priority_decrement") { policy.priorityDecrement = value }
        return policy
    }
}
