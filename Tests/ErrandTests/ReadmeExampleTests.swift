import Errand
import ErrandSQLite
import ErrandTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The README's library example, compiled and run.
@Suite(.timeLimit(.minutes(5))) struct ReadmeExampleTests {
    struct Mail: Codable, Sendable {
        var to: String
    }

    @Test func theLibraryExampleRuns() async throws {
        try await TemporaryDirectory.with { directory in
            let sent = SentMail()
            var handlers = HandlerRegistry.withBuiltins()
            handlers.register("mail.send") { (message: Mail, context) in
                await sent.record(message.to)
                return EmptyResult()
            }

            let store = try SQLiteTaskStore(path: directory.appendingPathComponent("errand.db").path)
            let client = ErrandClient(store: store)
            let node = ErrandNode(store: store, handlers: handlers)
            let group = ServiceGroup(services: [store, node], logger: Logger(label: "readme"))
            let running = Task { try await group.run() }

            let task = try await client.enqueue("mail.send", arguments: Mail(to: "ops@example.com")).task
            let finished = try await client.wait(for: task.id, timeout: 30)
            #expect(finished.state == .completed)
            #expect(finished.result == nil)
            #expect(await sent.addresses == ["ops@example.com"])
            await group.triggerGracefulShutdown()
            try await running.value
        }
    }

    actor SentMail {
        var addresses: [String] = []
        func record(_ address: String) { addresses.append(address) }
    }
}
