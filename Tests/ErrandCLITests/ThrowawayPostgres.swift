import Foundation
import Testing

/// A PostgreSQL server of a test's own (for tests that stop or restart it), from the installed server binaries.
/// Runs its commands as the `postgres` user when the tests run as root, as PostgreSQL requires.
struct ThrowawayPostgres {
    let bin: String
    let directory: URL
    let port: Int
    var url: String { "postgres://errand@127.0.0.1:\(port)/postgres" }
    var data: String { directory.appendingPathComponent("data").path }

    static func binDirectory() -> String? {
        if let bin = ProcessInfo.processInfo.environment["ERRAND_TEST_POSTGRES_BIN"] { return bin }
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last.map { "\(root)/\($0)/bin" }
    }

    /// Creates and starts a server in a new directory under `parent`.
    static func start(in parent: URL) async throws -> ThrowawayPostgres {
        guard let bin = binDirectory(), FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw Failure("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
        }
        let directory = parent.appendingPathComponent("pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await shOffPool(["chmod", "755", parent.path, directory.path])
        if getuid() == 0 { try await shOffPool(["chown", "postgres", directory.path]) }
        let server = ThrowawayPostgres(bin: bin, directory: directory, port: freePort())
        try await server.asPostgres(["\(bin)/initdb", "-D", server.data, "-U", "errand", "--auth=trust", "-E", "UTF8", "--no-locale"])
        let settings = """
            listen_addresses = '127.0.0.1'
            port = \(server.port)
            unix_socket_directories = '\(directory.path)'
            max_connections = 100
            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(server.data)/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try handle.close()
        try await server.ctl(["start"])
        return server
    }

    func ctl(_ arguments: [String]) async throws {
        try await asPostgres(
            ["\(bin)/pg_ctl", "-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-m", "fast"] + arguments
        )
    }

    /// Stops the server at once (for `defer`, which cannot wait asynchronously; an immediate stop is quick).
    func stop() {
        let command = ["\(bin)/pg_ctl", "-D", data, "-w", "-m", "immediate", "stop"]
        _ = try? Self.sh(getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + command : command)
    }

    private func asPostgres(_ command: [String]) async throws {
        try await Self.shOffPool(getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + command : command)
    }

    /// ``sh(_:)`` on a thread of its own: initdb and pg_ctl take seconds, and a cooperative thread blocked that long
    /// starves the in-process tests beside this one (two such threads on a 2-core machine).
    @discardableResult
    static func shOffPool(_ command: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try sh(command) })
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs a command to its end and returns its output. Uses `posix_spawn` and a blocking `waitpid` rather than
    /// Foundation's `Process`, whose exit monitoring can miss the end of `runuser pg_ctl start` (the server it leaves
    /// behind is a grandchild) and hang the test.
    @discardableResult
    static func sh(_ command: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("errand-sh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = (["/usr/bin/env"] + command).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure("cannot run \(command.joined(separator: " ")): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else { throw Failure("\(command.joined(separator: " ")) failed (status \(status)): \(output)") }
        return output
    }

    static func freePort() -> Int {
        let output = (try? sh(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])) ?? ""
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 55_999
    }
}
