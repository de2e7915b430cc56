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

        func run() async throws {
            let queue = try await store.client().createQueue(name)
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
                Output.table(["NAME", "STATE", "CREATED"], queues.map { [$0.name, $0.state.rawValue, $0.createdAt.iso8601] })
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

/// `errand stats`: task counts by queue and state.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count tasks by queue and state, and the launches of each task definition.",
        discussion: """
            The table shows both; -o json|yaml gives the queue counts (the `queues` of GET /v1/statistics), or with \
            --definitions the launch counts per task definition in Tarantool's vocabulary: pending, running, \
            completed, failed, lost, stopped, did_not_start, unknown_task, total.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table
    @Flag(help: "Only the launch counts per task definition.") var definitions = false

    func run() async throws {
        // A remote server answers queue counts; launch counts need the store (--definitions says so).
        let client: ErrandClient
        let launches: [LaunchStatistics]
        if let remote = try store.remote() {
            if definitions {
                throw CLIFailure("launch statistics (--definitions) are not available over HTTP; give --db or --store", exitCode: CLIFailure.badInput)
            }
            client = ErrandClient(store: remote)
            launches = []
        } else {
            let local = try await store.openLocal()
            client = ErrandClient(store: local)
            launches = try await local.launchStatistics()
        }
        let launchRows: OutputJSON = .array(
            launches.map { module in
                .object([
                    ("task", .string(module.module)),
                    ("counts", .object(LaunchStatus.allCases.map { ($0.rawValue, .int(module[$0])) })),
                    ("total", .int(module.total)),
                ])
            }
        )
        let launchTable = Output.table(
            ["TASK"] + LaunchStatus.allCases.map { $0.rawValue.uppercased() } + ["TOTAL"],
            launches.map { module in [module.module] + LaunchStatus.allCases.map { "\(module[$0])" } + ["\(module.total)"] }
        )
        if definitions {
            try Output.print(launchRows, as: output) { launchTable }
            return
        }
        let stats = try await client.statistics()
        try Output.print(.array(stats.map(Representation.statistics)), as: output) {
            let queues = Output.table(
                ["QUEUE"] + TaskState.allCases.map { $0.rawValue.uppercased() } + ["TOTAL"],
                stats.map { queue in [queue.queue] + TaskState.allCases.map { "\(queue[$0])" } + ["\(queue.total)"] }
            )
            return launches.isEmpty ? queues : queues + "\n\n" + launchTable
        }
    }
}
