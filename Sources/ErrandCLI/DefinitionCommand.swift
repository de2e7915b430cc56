import ArgumentParser
import Errand
import ErrandCore
import ErrandStore
import Foundation

/// `errand definition …`: the task definitions kept in the store (created at run time, for every node), as
/// `/v1/definitions` creates them; the configuration file's are changed in the file.
struct DefinitionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "definition",
        abstract: "List, create, replace and delete the task definitions kept in the store (the leader launches them).",
        subcommands: [DefinitionListCommand.self, DefinitionPutCommand.self, DefinitionDeleteCommand.self]
    )
}

struct DefinitionListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The stored task definitions, by name (the configuration file's are not listed: see the file)."
    )

    @OptionGroup var store: StoreOptions
    @Option(name: [.short, .long], help: "Output format: yaml, json or table.") var output: OutputFormat = .table

    func run() async throws {
        let client = try await store.client()
        let disabled = try await client.store.disabledDefinitions()
        let now = client.time.now
        let rows = try await client.store.storedDefinitions().map { stored in
            (stored, try? TaskDefinition(name: stored.name, specJSON: stored.spec))
        }
        let json = OutputJSON.array(
            rows.compactMap { stored, definition in
                definition.map { Representation.definition($0, enabled: !disabled.contains(stored.name), now: now, stored: stored) }
            }
        )
        try Output.print(json, as: output) {
            Output.table(
                ["NAME", "KIND", "HANDLER", "QUEUE", "ENABLED", "UPDATED"],
                rows.map { stored, definition in
                    [
                        stored.name, definition?.kind.rawValue ?? "(unreadable)", definition?.handler ?? "", definition?.queue ?? "",
                        disabled.contains(stored.name) ? "no" : "yes", stored.updatedAt.iso8601,
                    ]
                }
            )
        }
    }
}

struct DefinitionPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Create or replace a stored task definition from a YAML or JSON file of one tasks: entry's keys.",
        discussion: """
            The file holds what a configuration file's tasks.NAME holds (kind, func_name, schedule, args, ...), read by \
            the same rules: an error names tasks.NAME.KEY. A replaced definition keeps its on/off switch and creation \
            time, and applies from the leader's next round. With --server, a name the server's configuration file uses \
            is refused.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The definition's name.") var name: String
    @Option(name: [.short, .customLong("file")], help: "YAML or JSON file, or - for stdin.") var file: String
    @Flag(help: "Refuse to replace a definition that exists.") var createOnly = false

    func run() async throws {
        let spec = try Self.specJSON(try TaskAddCommand.readSpec(file, what: "definition"), name: name)
        let client = try await store.client()
        let stored = try await client.store.putDefinition(name, spec: spec, replacing: !createOnly, now: client.time.now)
        print(stored.name)
    }

    /// The file's definition as the JSON text the store keeps, checked by the configuration file's rules (an error
    /// names `tasks.NAME.KEY`).
    static func specJSON(_ text: String, name: String) throws -> String {
        let document = try SpecDocument.parse(text) ?? NSNull()
        _ = try TaskDefinition(name: name, configValue: document)
        return try ConfigTree.jsonText(document, "tasks.\(name)")
    }
}

struct DefinitionDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a stored task definition; a continuous one's running instance is cancelled on the leader's next round."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The definition's name.") var name: String

    func run() async throws {
        let client = try await store.client()
        guard try await client.store.deleteDefinition(name) else {
            throw CLIFailure("no stored task definition \"\(name)\"", exitCode: CLIFailure.failed)
        }
        print(name)
    }
}
