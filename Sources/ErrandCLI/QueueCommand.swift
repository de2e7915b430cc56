import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// `errand queue …`: create, list, suspend, resume and delete queues.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Create, list, suspend, resume and delete queues.",
        subcommands: [Create.self, List.self, Suspend.self, Resume.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an active queue.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name: letters, digits, - _ .") var name: String
        @Option(help: "Add this to the priority number of the queue's tasks on each retry (0-9), unless a task sets its own.")
        var retryPriorityDecrement = 0

        func run() async throws {
            let queue = try await store.client().createQueue(name, retryPriorityDecrement: retryPriorityDecrement)
            print("\(queue.name) \(queue.state.rawValue)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List queues.")
        @OptionGroup var store: StoreOptions
        @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

        func run() async throws {
            let client = try await store.client()
            let (queues, statistics) = (try await client.queues(), try await client.statistics())
            let json = OutputJSON.array(queues.map { queue in Representation.queue(queue, statistics: statistics.first { $0.queue == queue.name }) })
            try Output.print(json, as: output) {
                Output.table(
                    ["NAME", "STATE", "RETRY-DECREMENT", "CREATED"],
                    queues.map { [$0.name, $0.state.rawValue, String($0.retryPriorityDecrement), $0.createdAt.iso8601] }
                )
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop claims from a queue and refuse new tasks for it.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var name: String

        func run() async throws {
            let queue = try await store.client().suspendQueue(name)
            print("\(queue.name) \(queue.state.rawValue)")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a suspended queue run again.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var name: String

        func run() async throws {
            let queue = try await store.client().resumeQueue(name)
            print("\(queue.name) \(queue.state.rawValue)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a queue and every task in it.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var name: String

        func run() async throws {
            let deleted = try await store.client().deleteQueue(name)
            print("deleted queue \(name) and \(deleted) tasks")
        }
    }
}

/// `errand stats`: task counts by queue and state, and Tarantool's breakdown by status.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count tasks by queue and state, and by status in Tarantool's vocabulary: every task and each definition's launches.",
        discussion: """
            The table shows both; -o json|yaml gives the queue counts (the `queues` of GET /v1/statistics), or with \
            --definitions Tarantool's breakdown (its `statuses` and `definitions`): stopped, failed, lost, total, \
            completed, pending, did not start, running, unknown task, over every task and per definition. A waiting \
            task that no live node or worker runs (its queue and handler) counts as unknown task.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table
    @Flag(help: "Only Tarantool's breakdown by status, over every task and per task definition.") var definitions = false

    func run() async throws {
        let client = try await store.client()
        let statuses = try await client.store.taskStatuses(now: client.time.now)
        let keys = LaunchStatus.tarantoolKeys
        let statusTable = Output.table(
            ["TASK"] + keys.map { $0.uppercased() },
            (statuses.definitions + [statuses.all]).map { row in [row.module ?? "(all tasks)"] + keys.map { "\(row.count(named: $0))" } }
        )
        if definitions {
            try Output.print(.object(Representation.taskStatuses(statuses)), as: output) { statusTable }
            return
        }
        let stats = try await client.statistics()
        try Output.print(.array(stats.map(Representation.statistics)), as: output) {
            let queues = Output.table(
                ["QUEUE"] + TaskState.allCases.map { $0.rawValue.uppercased() } + ["TOTAL"],
                stats.map { queue in [queue.queue] + TaskState.allCases.map { "\(queue[$0])" } + ["\(queue.total)"] }
            )
            return queues + "\n\n" + statusTable
        }
    }
}
