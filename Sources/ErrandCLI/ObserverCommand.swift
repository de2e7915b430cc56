import ArgumentParser
import Errand
import ErrandCore
import ErrandStore
import Foundation

/// `errand observer …`: riaktq's observers (`observers:` in the configuration file) and their reports.
struct ObserverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observer",
        abstract: "List observers and read their reports (riaktq's named queries reported on a schedule).",
        subcommands: [ObserverListCommand.self, ObserverReportsCommand.self]
    )
}

struct ObserverListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The observers that have reported.")

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .long], help: "Output format: table (one name a line), yaml or json.") var output: OutputFormat = .table

    func run() async throws {
        let names = try await store.client().modules().filter { $0.hasPrefix(Observer.definitionPrefix) }
            .map { String($0.dropFirst(Observer.definitionPrefix.count)) }
        try Output.print(.array(names.map { .string($0) }), as: output) { names.joined(separator: "\n") }
    }
}

struct ObserverReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "An observer's reports, newest first: when it ran, how many tasks matched, and their ids.",
        discussion: "-o json|yaml print each run as GET /v1/observers/NAME lists it: task_id, state, finished_at, report."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "Observer name (its key under observers:).") var name: String
    @Option(help: "At most this many reports.") var limit: Int = 10
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

    func run() async throws {
        let runs = try await store.client().list(TaskQuery(handler: Observer.handler, module: Observer.definitionPrefix + name, limit: limit)).tasks
        if runs.isEmpty { FileHandle.standardError.write(Data("no reports of observer \(name) yet\n".utf8)) }
        try Output.print(.array(runs.map(Representation.observerReport)), as: output) {
            Output.table(
                ["RUN", "STATE", "FINISHED", "COUNT", "TASKS"],
                runs.map { run in
                    let report = run.result.flatMap { try? JSONDecoder().decode(Observer.Report.self, from: Data($0.utf8)) }
                    let ids = report?.taskIDs ?? []
                    let shown = ids.prefix(3).joined(separator: ",") + (ids.count > 3 ? ",…" : "")
                    return [run.id.rawValue, run.state.rawValue, run.finishedAt?.iso8601 ?? "", "\(report?.count ?? 0)", shown]
                }
            )
        }
    }
}
