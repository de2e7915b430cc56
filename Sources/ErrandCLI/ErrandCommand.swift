import ArgumentParser
import Errand
import ErrandPostgres
import ErrandSQLite
import Foundation

/// `errand`: a durable task manager.
struct ErrandCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errand",
        abstract: "A durable task manager: run background tasks reliably on an embedded SQLite file.",
        discussion: """
            Every command works on the PostgreSQL store named by --store or ERRAND_STORE, else on the SQLite file named
            by --db, ERRAND_DB, or ./errand.db.
            Exit status: 0 success, 1 operation failed, 2 bad input, 3 store unusable, 124 wait timed out.
            """,
        subcommands: [
            ServeCommand.self, WorkerCommand.self, TaskCommand.self, QueueCommand.self, StatsCommand.self, LeaderCommand.self, MigrateCommand.self,
            CronCommand.self, ConfigCommand.self, CompletionCommand.self,
        ],
        groupedSubcommands: [CommandGroup(name: "pftaskqueue verbs (aliases)", subcommands: Pftaskqueue.commands)]
    )
}

/// Where the store is: shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file (default: $ERRAND_DB or ./errand.db).")
    var db: String?

    @Option(
        name: .customLong("store"),
        help:
            "PostgreSQL store URL, postgres://user[:password]@host[:port]/database[?schema=errand&pool_size=10] (default: $ERRAND_STORE; without one, the SQLite file)."
    )
    var storeURL: String?

    /// The PostgreSQL URL chosen by flag or environment, if any.
    var postgresURL: String? {
        storeURL ?? ProcessInfo.processInfo.environment["ERRAND_STORE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The SQLite database path after applying the environment and the default.
    var path: String {
        let chosen = db ?? ProcessInfo.processInfo.environment["ERRAND_DB"] ?? "errand.db"
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// Opens (and migrates) the chosen store.
    func open() async throws -> any TaskStore {
        if let url = postgresURL {
            if db != nil { throw CLIFailure("give either --db (SQLite) or --store (PostgreSQL), not both", exitCode: CLIFailure.badInput) }
            return try await PostgresTaskStore(url: url)
        }
        return try SQLiteTaskStore(path: path)
    }

    /// Where the store is, for messages: the SQLite path or the PostgreSQL URL without its password.
    var location: String {
        if let url = postgresURL { return "PostgreSQL \(PostgresConfiguration.redacted(url))" }
        return "SQLite database \(path)"
    }

    /// A client on the chosen store.
    func client() async throws -> ErrandClient {
        ErrandClient(store: try await open())
    }
}

@main
enum Main {
    static func main() async {
        do {
            var command = try ErrandCommand.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            // Errand's own errors get one line and a status of their own; ArgumentParser reports the rest.
            guard let failure = CLIFailure(recognising: error) else { ErrandCommand.exit(withError: error) }
            FileHandle.standardError.write(Data("errand: error: \(failure.message)\n".utf8))
            exit(failure.exitCode)
        }
    }
}
