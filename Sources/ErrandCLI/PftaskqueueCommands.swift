import ArgumentParser
import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

/// pftaskqueue's verbs, so that its runbooks work against Errand: each is a thin alias of an `errand` command.
enum Pftaskqueue {
    static let commands: [any ParsableCommand.Type] = [
        CreateQueue.self, GetQueueState.self, SuspendQueue.self, ResumeQueue.self, DeleteQueue.self, GetAllQueues.self,
        AddTask.self, GetTask.self, StartWorker.self, GetWorker.self, PrintDefaultConfig.self, PrintConfig.self, GenerateTask.self,
        Version.self,
    ]

    struct CreateQueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-queue", abstract: "= errand queue create (pftaskqueue).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var name: String
        @Option(help: "State to create it in: active or suspend.") var state: String = "active"

        func run() async throws {
            guard ["active", "suspend", "suspended"].contains(state) else {
                throw CLIFailure("--state must be active or suspend, got \(state)", exitCode: CLIFailure.badInput)
            }
            let client = try await store.client()
            var queue = try await client.createQueue(name)
            if state != "active" { queue = try await client.suspendQueue(name) }
            print("\(queue.name) \(queue.state.rawValue)")
        }
    }

    struct GetQueueState: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-queue-state", abstract: "Print a queue's state (pftaskqueue).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var name: String

        func run() async throws {
            guard let queue = try await store.client().queues().first(where: { $0.name == name }) else {
                throw CLIFailure("no queue named \(name)", exitCode: CLIFailure.failed)
            }
            // pftaskqueue's names: active, suspend.
            print(queue.state == .suspended ? "suspend" : queue.state.rawValue)
        }
    }

    struct SuspendQueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "suspend-queue", abstract: "= errand queue suspend (pftaskqueue).")
        @OptionGroup var queue: QueueCommand.Suspend
        func run() async throws { try await queue.run() }
    }

    struct ResumeQueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume-queue", abstract: "= errand queue resume (pftaskqueue).")
        @OptionGroup var queue: QueueCommand.Resume
        func run() async throws { try await queue.run() }
    }

    struct DeleteQueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-queue", abstract: "= errand queue delete (pftaskqueue).")
        @OptionGroup var queue: QueueCommand.Delete
        func run() async throws { try await queue.run() }
    }

    struct GetAllQueues: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-all-queues", abstract: "= errand queue list (pftaskqueue).")
        @OptionGroup var queues: QueueCommand.List
        func run() async throws { try await queues.run() }
    }

    struct GetTask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get-task",
            abstract: "Print the tasks of a queue (pftaskqueue), all pages.",
            discussion: """
                Each task is printed as pftaskqueue's Task: uid, spec (name, payload, retryLimit, timeoutSeconds), \
                status (phase Pending, Processing, Succeeded or Failed; createdAt, failureCount, salvageCount, \
                currentRecord, history of TaskRecords). \
                pending = scheduled or pending; processing = running; completed = succeeded or failed; \
                succeeded = completed; failed = failed, cancelled or dead; workerlost = tasks whose latest attempt \
                ended lost (its worker died); deadletter = records that could not be read (`errand task redrive`).
                """
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "Queue name.") var queue: String
        @Option(help: "all, pending, processing, completed, succeeded, failed, workerlost or deadletter.") var state: String = "all"
        @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .yaml

        static let states: [String: [TaskState]] = [
            "all": [], "pending": [.scheduled, .pending], "processing": [.running], "completed": [.completed, .failed, .cancelled, .dead],
            "succeeded": [.completed], "failed": [.failed, .cancelled, .dead], "workerlost": [], "deadletter": [],
        ]

        func run() async throws {
            if state == "deadletter" {
                let letters = try await store.open().deadLetters(limit: 100_000).filter { $0.queue == queue }
                try Output.print(.array(letters.map(Representation.deadLetter)), as: output) {
                    Output.table(Tables.deadLetterHeader, letters.map(Tables.deadLetter))
                }
                return
            }
            guard let states = Self.states[state] else {
                throw CLIFailure("--state must be one of \(Self.states.keys.sorted().joined(separator: ", "))", exitCode: CLIFailure.badInput)
            }
            let client = try await store.client()
            var tasks: [TaskRecord] = []
            var records: [OutputJSON] = []
            var cursor: TaskID?
            repeat {
                let page = try await client.list(TaskQuery(queue: queue, states: states, limit: 1000, cursor: cursor))
                for task in page.tasks {
                    let attempts = try await client.attempts(of: task.id)
                    if state == "workerlost", attempts.last?.outcome != .lost { continue }
                    tasks.append(task)
                    records.append(PftaskqueueRecord.task(task, attempts: attempts))
                }
                cursor = page.nextCursor
            } while cursor != nil
            try Output.print(.array(records), as: output) { Output.table(Tables.taskHeader, tasks.map { Tables.task($0) }) }
        }
    }

    struct StartWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start-worker",
            abstract: "= errand worker (pftaskqueue): run tasks with a child process per task (`-- CMD ARGS`).",
            discussion: """
                pftaskqueue's defaults apply: a queue must be named, the worker exits when its queue is suspended \
                (--no-exit-on-suspend to stay) and after 1,000 tasks (--num-tasks); its flags, PFTQ_WORKER_* variables \
                and camelCase --config file are read as pftaskqueue reads them.
                """
        )
        @OptionGroup var worker: WorkerCommand
        func run() async throws { try await worker.run(defaults: .pftaskqueue) }
    }

    struct GetWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get-worker",
            abstract: "= errand worker list (pftaskqueue); tosalvage = lost."
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "Only workers of this queue.") var queue: String?
        @Option(help: "all, running, succeeded, failed, lost, tosalvage or salvaged.") var state: String = "all"
        @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .yaml

        func run() async throws {
            var list = try WorkerListCommand.parse(["--state", state == "tosalvage" ? "lost" : state, "--output", output.rawValue])
            list.store = store
            list.queue = queue
            try await list.run()
        }
    }

    struct PrintDefaultConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "print-default-config",
            abstract: "= errand config print-default (pftaskqueue)."
        )
        @OptionGroup var command: ConfigPrintDefaultCommand
        func run() async throws { try await command.run() }
    }
}

/// `errand completion SHELL`: a completion script for bash, zsh or fish.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a shell completion script.",
        discussion: """
            bash: errand completion bash > /etc/bash_completion.d/errand
            zsh:  errand completion zsh > "${fpath[1]}/_errand"
            fish: errand completion fish > ~/.config/fish/completions/errand.fish
            """
    )
    @Argument(help: "bash, zsh or fish.") var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw CLIFailure("unknown shell \(shell); choose bash, zsh or fish", exitCode: CLIFailure.badInput)
        }
        print(ErrandCommand.completionScript(for: kind))
    }
}
