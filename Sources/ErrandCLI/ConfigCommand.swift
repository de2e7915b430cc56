import ArgumentParser
import Errand
import ErrandCore
import ErrandProcess
import ErrandStore
import Foundation
import Yams

/// `errand config`: check and print configuration files.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration file, or print a commented default one.",
        subcommands: [ConfigCheckCommand.self, ConfigPrintDefaultCommand.self]
    )

    /// The configuration file chosen by flag, else by `ERRAND_CONFIG`, if any.
    static func path(flag: String?) -> String? {
        flag ?? ProcessInfo.processInfo.environment["ERRAND_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads and checks the configuration file at `path`.
    /// - Throws: ``CLIFailure`` with exit status 2 naming the file and the path of the first problem.
    static func load(_ path: String) throws -> ErrandConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIFailure("\(path): cannot read the file: \(error.localizedDescription)", exitCode: CLIFailure.badInput)
        }
        let config = try parse(text, file: path)
        // On stderr: what the file has that Errand does not use (pftaskqueue's redis:), and what it reads in a way its
        // author may not expect (Tarantool's */*). Commands load a file once.
        for notice in config.notices { FileHandle.standardError.write(Data("note: \(path): \(notice)\n".utf8)) }
        for warning in config.warnings { FileHandle.standardError.write(Data("warning: \(path): \(warning)\n".utf8)) }
        return config
    }

    /// Parses configuration text; `file` names it in messages.
    static func parse(_ text: String, file: String) throws -> ErrandConfig {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            var message = "\(file): not valid YAML: \(yamlProblem(error))"
            if message.contains("alias") { message += " (a cron expression starting with * must be quoted: schedule: \"*/5 * * * * *\")" }
            throw CLIFailure(message, exitCode: CLIFailure.badInput)
        }
        do {
            return try ErrandConfig(document: document)
        } catch {
            let lines = error.problems.map { "\(file): \($0)" }
            let message = lines.count == 1 ? lines[0] : "\(lines.count) problems:\n" + lines.joined(separator: "\n")
            throw CLIFailure(message, exitCode: CLIFailure.badInput)
        }
    }

    /// Yams' message on one line, with its position.
    private static func yamlProblem(_ error: any Error) -> String {
        "\(error)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "^" }
            .joined(separator: " ")
    }
}

/// `errand config check FILE`.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file; explain the first problem with its path (exit 2), or summarise it.",
        discussion: """
            With a store (--db, --store, --server, their variables, or an existing ./errand.db), it also checks that
            every definition's queue exists there: a launch into a missing queue would fail every round.
            """
    )

    @Argument(help: "The configuration file (YAML).")
    var file: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let config = try ConfigCommand.load(file)
        let definitions = config.definitions
        let opened = try await openedStore(for: definitions)
        let missing = try await missingQueues(of: definitions, in: opened)
        let takers = TaskTakers(workers: try await opened?.workers(states: [.running]) ?? [], now: Date())
        UnservedDefinitions.print(
            UnservedDefinitions.warnings(
                definitions,
                handlers: HandlerRegistry.standard().names,
                queues: [],
                takers: takers,
                store: opened == nil ? nil : store.location
            ),
            file: file
        )
        print("\(file): \(missing.isEmpty ? "ok" : "problems"), \(definitions.count) task definition\(definitions.count == 1 ? "" : "s")")
        for definition in definitions {
            var line = "  \(definition.name): \(definition.kind.rawValue), \(definition.handler)"
            if let schedule = definition.schedule { line += ", schedule \"\(schedule)\" (\(definition.timeZone))" }
            if definition.kind == .continuous { line += ", pause \(definition.pauseSeconds) s" }
            if missing.contains(definition.queue) { line += "; queue \"\(definition.queue)\" does not exist" }
            print(line)
        }
        guard missing.isEmpty else {
            let names = definitions.filter { missing.contains($0.queue) }.map(\.name)
            throw CLIFailure(
                "\(file): \(names.map { "tasks.\($0).queue" }.joined(separator: ", ")): queue "
                    + missing.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                    + " does not exist in \(store.location); create it with `errand queue create NAME`",
                exitCode: CLIFailure.badInput
            )
        }
    }

    /// The store to check definitions against, when one is at hand.
    private func openedStore(for definitions: [TaskDefinition]) async throws -> (any ClientStore)? {
        guard !definitions.isEmpty, store.isNamed || FileManager.default.fileExists(atPath: store.path) else {
            if !definitions.isEmpty { print("(queues not checked: no store; give --db, --store or --server)") }
            return nil
        }
        return try await store.open()
    }

    /// Queues that definitions name and the store lacks; empty when no store is at hand (nothing to check against).
    private func missingQueues(of definitions: [TaskDefinition], in opened: (any ClientStore)?) async throws -> Set<String> {
        guard let opened else { return [] }
        let existing = Set(try await opened.queues().map(\.name))
        return Set(definitions.map(\.queue)).subtracting(existing)
    }
}

/// `errand config print-default`.
struct ConfigPrintDefaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-default",
        abstract: "Print a commented configuration file with every key and its default."
    )

    func run() async throws {
        print(ErrandConfig.defaultFileText, terminator: "")
    }
}
