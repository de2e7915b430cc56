import ArgumentParser
import ErrandCore
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
        return try parse(text, file: path)
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
    )

    @Argument(help: "The configuration file (YAML).")
    var file: String

    func run() async throws {
        let config = try ConfigCommand.load(file)
        let definitions = config.definitions
        print("\(file): ok, \(definitions.count) task definition\(definitions.count == 1 ? "" : "s")")
        for definition in definitions {
            var line = "  \(definition.name): \(definition.kind.rawValue), \(definition.handler)"
            if let schedule = definition.schedule { line += ", schedule \"\(schedule)\" (\(definition.timeZone))" }
            if definition.kind == .continuous { line += ", pause \(definition.pauseSeconds) s" }
            print(line)
        }
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
