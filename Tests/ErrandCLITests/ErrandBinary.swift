import ErrandCore
import Foundation
import GRDB
import Subprocess
import Testing

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs the built `errand` executable as a child process, on a database in a temporary directory.
struct ErrandBinary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let directory: URL
    /// A PostgreSQL store URL; `nil` means the SQLite file in `directory`.
    var postgresURL: String? = nil
    var database: String { directory.appendingPathComponent("errand.db").path }
    var storeArguments: [String] { postgresURL.map { ["--store", $0] } ?? ["--db", database] }

    /// The SQLite file opened directly, waiting (as the nodes do) while a running node holds the write lock.
    func openDatabase() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: database, configuration: configuration)
    }

    /// The `errand` binary next to the test bundle (SwiftPM builds it because the tests depend on it), or
    /// `$ERRAND_BINARY`.
    static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["ERRAND_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("errand")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/errand")
    }()

    /// Runs `errand ARGS --db <temp db>` to completion.
    func run(_ arguments: [String], stdin: String? = nil) async throws -> Result {
        try await runBare(arguments + storeArguments, stdin: stdin)
    }

    /// Runs `errand ARGS` to completion, without store arguments.
    func runBare(_ arguments: [String], stdin: String? = nil) async throws -> Result {
        try await Self.runProgram(Self.executable, arguments, stdin: stdin)
    }

    /// Runs any program to completion, on swift-subprocess: Foundation's `Process.run()` over-reads memory while
    /// closing descriptors when many are open (swift-corelibs-foundation #5472), which crashed the suite.
    static func runProgram(_ executable: URL, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws
        -> Result
    {
        let overrides = Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })
        let input = Array((stdin ?? "").utf8)
        let result = try await Subprocess.run(
            .path(FilePath(executable.path)),
            arguments: Arguments(arguments),
            environment: .inherit.updating(overrides),
            input: .inputWriter,
            output: .sequence,
            error: .sequence
        ) { execution in
            let writer = execution.standardInputWriter
            async let written: Void = {
                if !input.isEmpty { _ = try? await writer.write(input) }
                try? await writer.finish()
            }()
            // Read stderr beside stdout so that neither pipe fills up and stalls the child.
            async let stderr = Self.collect(execution.standardError)
            let stdout = try await Self.collect(execution.standardOutput)
            await written
            return (stdout, try await stderr)
        }
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = signal
        }
        return Result(
            status: status,
            stdout: String(decoding: result.closureResult.0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            stderr: String(decoding: result.closureResult.1, as: UTF8.self)
        )
    }

    private static func collect(_ pipe: SubprocessOutputSequence) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in pipe { buffer.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Runs a command that must succeed and returns its stdout.
    func ok(_ arguments: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await run(arguments, stdin: stdin)
        #expect(result.status == 0, "errand \(arguments.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Starts `errand serve` (or `command`) in the background; its output goes to files in the temporary directory.
    /// A `serve` without `--http` gets its HTTP API on a free loopback port (see ``apiURL(timeout:)``), so that
    /// tests running side by side do not compete for 8080.
    func serve(_ extra: [String] = [], command: String = "serve", environment: [String: String] = [:]) throws -> ChildProcess {
        let http = command == "serve" && !extra.contains("--http") ? ["--http", "127.0.0.1:0"] : []
        let log = directory.appendingPathComponent("serve-\(UUID().uuidString).log")
        return try ChildProcess(
            Self.executable.path,
            [command] + storeArguments + ["--log-level", "info"] + http + extra,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            output: log.path
        )
    }

    /// Writes an executable shell script `name` in the temporary directory and returns its URL.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try ("#!/bin/sh\n" + body).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    /// The base URL (`http://127.0.0.1:PORT`) of the first background `serve` whose HTTP API is up.
    func apiURL(timeout: Double = 30) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files where file.hasPrefix("serve-") {
                let text = (try? String(contentsOfFile: directory.appendingPathComponent(file).path, encoding: .utf8)) ?? ""
                if let match = text.firstMatch(of: /HTTP API on (http:\/\/[0-9.]+:[0-9]+)/) { return String(match.1) }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The last lines of every background node's log, for failure messages.
    func nodeLogs(lines: Int = 40) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasPrefix("serve-") }.sorted().map { file in
            let text = (try? String(contentsOfFile: directory.appendingPathComponent(file).path, encoding: .utf8)) ?? ""
            return "== \(file)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Runs a command that must succeed and decodes its JSON output.
    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> Any {
        let text = try await ok(arguments, sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// Decodes `task list -o json` (or any JSON list of tasks) into dictionaries.
    func tasks(_ extra: [String] = []) async throws -> [[String: Any]] {
        let text = try await ok(["task", "list", "-o", "json"] + extra)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    /// The state of one task.
    func state(_ id: String) async throws -> String? {
        let text = try await ok(["task", "get", id, "-o", "json"])
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["state"] as? String
    }
}
