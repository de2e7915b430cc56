import ErrandCore
import Foundation
import GraphQL
import Graphiti

/// The GraphQL API (`/admin/api`, as Tarantool's cartridge serves it, and `/graphql`): Tarantool's
/// `mutation { task { start(name: "…", args: …) } }`, and queries and mutations for what the dashboard shows.
/// Introspection is on. Field names are the REST shapes' member names.
struct GraphQLAPI: API {
    let resolver = GraphQLResolver()
    let schema: Schema<GraphQLResolver, GraphQLContext>

    /// The one schema of the process, built once.
    static let shared: GraphQLAPI = {
        do {
            return GraphQLAPI(schema: try makeSchema())
        } catch {
            fatalError("the built-in GraphQL schema is invalid: \(error)")
        }
    }()

    // swift-format-ignore: FunctionBodyLength
    private static func makeSchema() throws -> Schema<GraphQLResolver, GraphQLContext> {
        try Schema<GraphQLResolver, GraphQLContext> {
            Scalar(GraphQLTypes.JSON.self, as: "JSON").description("Any JSON value.")
            Type(GraphQLTypes.Task.self) {
                Field("id", at: \.id)
                Field("queue", at: \.queue)
                Field("handler", at: \.handler)
                Field("name", at: \.name)
                Field("state", at: \.state).description("scheduled, pending, running, completed, failed, cancelled or dead.")
                Field("priority", at: \.priority)
                Field("attempt", at: \.attempt)
                Field("max_attempts", at: \.maxAttempts)
                Field("arguments", at: \.arguments)
                Field("result", at: \.result)
                Field("message", at: \.message)
                Field("last_error", at: \.lastError)
                Field("run_at", at: \.runAt)
                Field("created_at", at: \.createdAt)
                Field("started_at", at: \.startedAt)
                Field("finished_at", at: \.finishedAt)
                Field("worker", at: \.worker)
                Field("idempotency_key", at: \.idempotencyKey)
                Field("parent_id", at: \.parentID)
                Field("root_id", at: \.rootID)
                Field("module", at: \.module).description("The definition it is a launch of, or its tree's module.")
                Field("tags", at: \.tags)
                Field("meta", at: \.meta)
                Field("unknown_task", at: \.unknownTask)
                    .description("It waits, and no live node or worker runs its handler on its queue.")
                Field("attempts", at: GraphQLTypes.Task.attempts).description("Its launch log, oldest first.")
            }
            .description("A task, as GET /v1/tasks/{id} answers it.")
            Type(GraphQLTypes.TaskPage.self) {
                Field("tasks", at: \.tasks)
                Field("next_cursor", at: \.nextCursor).description("Give it as after for the next page; null on the last.")
            }
            Type(GraphQLTypes.Attempt.self) {
                Field("number", at: \.number)
                Field("worker", at: \.worker)
                Field("outcome", at: \.outcome).description("succeeded, failed, timeout, lost, signaled, cancelled or internal_error.")
                Field("message", at: \.message)
                Field("result", at: \.result)
                Field("started_at", at: \.startedAt)
                Field("finished_at", at: \.finishedAt)
                Field("salvaged_by", at: \.salvagedBy)
            }
            Type(GraphQLTypes.Definition.self) {
                Field("name", at: \.name)
                Field("kind", at: \.kind)
                Field("handler", at: \.handler)
                Field("queue", at: \.queue)
                Field("schedule", at: \.schedule)
                Field("time_zone", at: \.timeZone)
                Field("next_runs", at: \.nextRuns)
                Field("arguments", at: \.arguments)
                Field("enabled", at: \.enabled)
                Field("source", at: \.source)
            }
            Type(GraphQLTypes.Queue.self) {
                Field("name", at: \.name)
                Field("state", at: \.state)
                Field("retry_priority_decrement", at: \.retryPriorityDecrement)
                Field("total", at: \.total)
                Field("scheduled", at: \.scheduled)
                Field("pending", at: \.pending)
                Field("running", at: \.running)
                Field("completed", at: \.completed)
                Field("failed", at: \.failed)
                Field("cancelled", at: \.cancelled)
                Field("dead", at: \.dead)
            }
            Type(GraphQLTypes.Worker.self) {
                Field("id", at: \.id)
                Field("name", at: \.name)
                Field("lease_name", at: \.leaseName)
                Field("queues", at: \.queues)
                Field("handlers", at: \.handlers)
                Field("state", at: \.state)
                Field("started_at", at: \.startedAt)
                Field("last_heartbeat_at", at: \.lastHeartbeatAt)
            }
            Type(GraphQLTypes.Statuses.self) {
                Field("definition", at: \.definition).description("The definition counted, or null for every task.")
                Field("stopped", at: \.stopped)
                Field("failed", at: \.failed)
                Field("lost", at: \.lost)
                Field("total", at: \.total)
                Field("completed", at: \.completed)
                Field("pending", at: \.pending)
                Field("did_not_start", at: \.didNotStart)
                Field("running", at: \.running)
                Field("unknown_task", at: \.unknownTask)
            }
            .description("Counts in Tarantool's vocabulary (its statistics().statuses).")
            Type(GraphQLTypes.Statistics.self) {
                Field("statuses", at: \.statuses).description("Every task, anonymous ones included.")
                Field("definitions", at: \.definitions).description("Each definition's launches.")
                Field("leader", at: \.leader)
            }
            Type(GraphQLTypes.TaskMutations.self) {
                Field("start", at: GraphQLTypes.TaskMutations.start) {
                    Argument("name", at: \.name).description("The definition to launch.")
                    Argument("args", at: \.args).description("Arguments instead of the definition's (any JSON value).")
                }
                .description("Launches a definition now; answers the new task's id.")
                Field("cancel", at: GraphQLTypes.TaskMutations.cancel) {
                    Argument("id", at: \.id)
                }
                .description("Cancels (stops) an unfinished task and its unfinished descendants.")
                Field("retry", at: GraphQLTypes.TaskMutations.retry) {
                    Argument("id", at: \.id)
                }
                .description("Runs a finished task once more.")
            }
            Query {
                Field("tasks", at: GraphQLResolver.tasks) {
                    Argument("queue", at: \.queue)
                    Argument("state", at: \.state)
                    Argument("handler", at: \.handler)
                    Argument("parent_id", at: \.parentID)
                    Argument("module", at: \.module)
                    Argument("tag", at: \.tag)
                    Argument("created_after", at: \.createdAfter)
                    Argument("created_before", at: \.createdBefore)
                    Argument("text", at: \.text)
                    Argument("idempotency_key", at: \.idempotencyKey)
                    Argument("limit", at: \.limit).description("At most 1000 (default 50).")
                    Argument("after", at: \.after).description("A page's next_cursor.")
                    Argument("oldest_first", at: \.oldestFirst)
                    Argument("archived", at: \.archived)
                }
                .description("One page of tasks, newest first, with GET /v1/tasks' filters.")
                Field("task", at: GraphQLResolver.task) {
                    Argument("id", at: \.id)
                }
                .description("One task, or null.")
                Field("definitions", at: GraphQLResolver.definitions)
                Field("statistics", at: GraphQLResolver.statistics)
                Field("queues", at: GraphQLResolver.queues)
                Field("workers", at: GraphQLResolver.workers) {
                    Argument("state", at: \.state).description("running, succeeded, failed, lost or salvaged (default all).")
                }
            }
            Mutation {
                Field("task", at: GraphQLResolver.taskMutations)
                    .description("Tarantool's namespace: mutation { task { start(name: \"…\") } }.")
            }
        }
    }
}
