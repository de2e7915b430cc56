import ArgumentParser
import Errand
import ErrandSQLite
import Foundation

/// `errand`: a durable task manager.
struct ErrandCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errand",
        abstract: "A durable task manager: run background tasks reliably on an embedded SQLite file.",
        discussion: """
            Every command works on the database named by --db, the ERRAND_DB environment variable, or ./errand.db.
            Exit status: 0 success, 1 operation failed, 2 bad input, 3 store unusable, 124 wait timed out.
            """,
        subcommands: [ServeCommand.self, TaskCommand.self, QueueCommand.self, StatsCommand.self]
    )
}

/// Where the store is: shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file (default: $ERRAND_DB or ./errand.db).")
    var db: String?

    /// The database path after applying the environment and the default.
    var path: String {
        let chosen = db ?? ProcessInfo.processInfo.environment["ERRAND_DB"] ?? "errand.db"
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// A client on the chosen database.
    func client() throws -> ErrandClient {
        ErrandClient(store: try SQLiteTaskStore(path: path))
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
