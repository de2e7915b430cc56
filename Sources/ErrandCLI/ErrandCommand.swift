import ArgumentParser
import Errand
import ErrandHTTP
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
            by --db, ERRAND_DB, or ./errand.db. With --server URL (or ERRAND_SERVER) and --token (or ERRAND_TOKEN), the
            task, queue, module, ttl, stats and worker list commands use a remote server's HTTP API instead.
            Exit status: 0 success, 1 operation failed, 2 bad input, 3 store unusable, 124 wait timed out.
            """,
        version: ErrandVersion.version,
        subcommands: [
            ServeCommand.self, WorkerCommand.self, TaskCommand.self, QueueCommand.self, ModuleCommand.self, ObserverCommand.self, TTLCommand.self,
            StatsCommand.self, LeaderCommand.self, MigrateCommand.self, CronCommand.self, ConfigCommand.self, DefinitionCommand.self,
            CompletionCommand.self,
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

    @Option(name: .customLong("server"), help: "An Errand server's HTTP API, e.g. https://errand.internal (default: $ERRAND_SERVER).")
    var serverURL: String?

    @Option(help: "Bearer token for --server (default: $ERRAND_TOKEN; prefer the variable: flags show in ps).")
    var token: String?

    /// The server URL chosen by flag, or by environment when no store flag (`--db`, `--store`) is given.
    var remoteURL: String? {
        if let serverURL { return serverURL }
        guard db == nil, storeURL == nil else { return nil }
        return ProcessInfo.processInfo.environment["ERRAND_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether a store or server is named by flag or environment (rather than the default ./errand.db).
    var isNamed: Bool {
        let environment = ProcessInfo.processInfo.environment
        return db != nil || remoteURL != nil || postgresURL != nil || !(environment["ERRAND_DB"] ?? "").isEmpty
    }

    /// The PostgreSQL URL chosen by flag or environment, if any.
    var postgresURL: String? {
        storeURL ?? ProcessInfo.processInfo.environment["ERRAND_STORE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The SQLite database path after applying the environment and the default.
    var path: String {
        let chosen = db ?? ProcessInfo.processInfo.environment["ERRAND_DB"] ?? "errand.db"
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// Opens (and migrates) the chosen store, or a remote server's API with `--server`.
    func open() async throws -> any ClientStore {
        if let remote = try remote() { return remote }
        return try await openLocal()
    }

    /// The remote server's API when `--server` (or `$ERRAND_SERVER`) chooses one, else `nil`.
    func remote() throws -> RemoteTaskStore? {
        guard let server = remoteURL else { return nil }
        if serverURL != nil, db != nil || storeURL != nil {
            throw CLIFailure("give either --server (a remote API) or --db/--store (a store), not both", exitCode: CLIFailure.badInput)
        }
        let token = self.token ?? ProcessInfo.processInfo.environment["ERRAND_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return try RemoteTaskStore(url: server, token: token)
    }

    /// Opens (and migrates) the chosen store itself: for what only a node on the store does.
    /// - Throws: ``CLIFailure`` (exit 2) when `--server` is given: nodes and migrations need the store.
    func openLocal() async throws -> any TaskStore {
        if serverURL != nil {
            throw CLIFailure("this command runs on the store itself; give --db or --store, not --server", exitCode: CLIFailure.badInput)
        }
        if let url = postgresURL {
            if db != nil { throw CLIFailure("give either --db (SQLite) or --store (PostgreSQL), not both", exitCode: CLIFailure.badInput) }
            return StoreScope.run(try await PostgresTaskStore(url: url))
        }
        return StoreScope.run(try SQLiteTaskStore(path: path))
    }

    /// Where the store is, for messages: the SQLite path or the PostgreSQL URL without its password.
    var location: String {
        if let server = remoteURL { return "server \(server)" }
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
        MemoryPolicy.apply()
        let environment = ProcessInfo.processInfo.environment
        for warning in EnvironmentCheck.warnings(environment) + PftaskqueueEnvironment.warnings(environment) {
            FileHandle.standardError.write(Data("errand: warning: \(warning)\n".utf8))
        }
        do {
            // Before parsing: a node stopped while it starts exits cleanly (EarlyTermination).
            let words = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("-") }.prefix(2)
            if let verb = words.first, ["serve", "worker", "start-worker"].contains(verb), words.dropFirst().first != "list" {
                EarlyTermination.install()
            }
            try await StoreScope.around {
                var arguments = Array(CommandLine.arguments.dropFirst())
                // pftaskqueue's verbs take pftaskqueue's flag spellings.
                if let verb = arguments.firstIndex(where: { $0 == "start-worker" || $0 == "print-config" }), !arguments[..<verb].contains("--") {
                    arguments = Array(arguments[...verb]) + (try PftaskqueueFlags.translate(Array(arguments[(verb + 1)...])))
                }
                var command = try ErrandCommand.parseAsRoot(arguments)
                if var command = command as? any AsyncParsableCommand {
                    try await command.run()
                } else {
                    try command.run()
                }
            }
        } catch {
            // Errand's own errors get one line and a status of their own; ArgumentParser reports the rest.
            guard let failure = CLIFailure(recognising: error) else { ErrandCommand.exit(withError: error) }
            FileHandle.standardError.write(Data("errand: error: \(failure.message)\n".utf8))
            exit(failure.exitCode)
        }
    }
}
