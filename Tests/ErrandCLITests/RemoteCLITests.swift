import ErrandTesting
import Foundation
import Testing

/// `errand --server URL --token T …`: the CLI on a remote server's HTTP API instead of the store.
@Suite(.timeLimit(.minutes(5))) struct RemoteCLITests {
    static let admin = "cli-admin-token-0123456789abcdef"
    static let read = "cli-read-token-0123456789abcdef"

    @Test func taskAndQueueCommandsWorkOverHTTP() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let serve = try errand.serve([], environment: ["ERRAND_HTTP_ADMIN_TOKENS": Self.admin, "ERRAND_HTTP_READ_TOKENS": Self.read])
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            func remote(_ arguments: [String], token: String = Self.admin) async throws -> ErrandBinary.Result {
                try await errand.runBare(arguments + ["--server", url, "--token", token])
            }

            let added = try await remote(["task", "add", "--handler", "errand.echo", "--args", #"{"n": 12345678901234567}"#])
            #expect(added.status == 0, "\(added.stderr)")
            let id = added.stdout
            let waited = try await remote(["task", "wait", id, "--timeout", "30"], token: Self.read)
            #expect(waited.status == 0, "\(waited.stderr)")
            #expect(waited.stdout == #"{"n": 12345678901234567}"#, "the result as the handler wrote it, byte for byte")
            let listed = try await remote(["task", "list", "-o", "json"], token: Self.read)
            let tasks = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
            #expect(tasks.map { $0["id"] as? String } == [id])
            #expect(tasks.first?["state"] as? String == "completed")
            let got = try await remote(["task", "attempts", id, "-o", "json"], token: Self.read)
            let attempts = (try JSONSerialization.jsonObject(with: Data(got.stdout.utf8)) as? [String: Any])?["attempts"] as? [[String: Any]]
            #expect(attempts?.count == 1)

            // Queues, and the errors a store would give, with the same exit statuses.
            #expect(try await remote(["queue", "create", "remote-q"]).status == 0)
            #expect(try await remote(["queue", "suspend", "remote-q"]).status == 0)
            let suspended = try await remote(["task", "add", "--handler", "errand.echo", "--queue", "remote-q"])
            #expect(suspended.status == 2)
            #expect(suspended.stderr.contains(#"queue "remote-q" is suspended"#), "\(suspended.stderr)")
            let missing = try await remote(["task", "get", "01a214c4-75bf-73c2-9038-000000000000"])
            #expect(missing.status == 1)
            let finished = try await remote(["task", "cancel", id])
            #expect(finished.status == 1)
            #expect(finished.stderr.contains("already finished"), "\(finished.stderr)")

            // A read token cannot change anything; a node cannot run on --server.
            let refused = try await remote(["task", "add", "--handler", "errand.echo"], token: Self.read)
            #expect(refused.status == 3)
            #expect(refused.stderr.contains("needs an admin token"), "\(refused.stderr)")
            let node = try await errand.runBare(["serve", "--server", url])
            #expect(node.status == 2)
            #expect(node.stderr.contains("not --server"), "\(node.stderr)")
            let local = try await errand.ok(["task", "list", "-o", "json"])
            #expect(local.contains(id), "the remote task is in the server's store")
        }
    }

    @Test func anUnreachableServerIsAClearError() async throws {
        try await TemporaryDirectory.with { directory in
            let result = try await ErrandBinary(directory: directory).runBare(["task", "list", "--server", "http://127.0.0.1:9"])
            #expect(result.status == 3)
            #expect(result.stderr.contains("cannot reach the Errand server at http://127.0.0.1:9"), "\(result.stderr)")
            let bad = try await ErrandBinary(directory: directory).runBare(["task", "list", "--server", "ftp://x"])
            #expect(bad.status == 2)
        }
    }
}
