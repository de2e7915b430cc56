import Errand
import ErrandCore
import ErrandSQLite
import ErrandTesting
import Foundation

/// Runs `body` with a fresh SQLite store, a manual clock and a running node's dispatcher; stops it afterwards.
func withTestNode(
    handlers: HandlerRegistry,
    capacity: Int = 8,
    shutdownGrace: Double = 10,
    pollInterval: Double = 1,
    random: any RandomSource = SystemRandomSource(),
    _ body: (ErrandClient, ErrandNode, ManualTimeSource) async throws -> Void
) async throws {
    try await TemporaryDirectory.with { directory in
        let store = try SQLiteTaskStore(path: directory.appendingPathComponent("e.db").path)
        let time = ManualTimeSource()
        let configuration = NodeConfiguration(
            dispatcher: DispatcherConfiguration(
                worker: "test-worker",
                capacity: capacity,
                pollInterval: pollInterval,
                shutdownGrace: shutdownGrace
            )
        )
        let node = ErrandNode(store: store, handlers: handlers, configuration: configuration, time: time, random: random)
        let client = ErrandClient(store: store, time: time)
        let running = Task { try await node.dispatcher.run() }
        do {
            try await body(client, node, time)
        } catch {
            node.dispatcher.stop()
            time.advance(by: shutdownGrace)
            _ = await running.result
            throw error
        }
        node.dispatcher.stop()
        time.advance(by: shutdownGrace)
        try await running.value
    }
}
