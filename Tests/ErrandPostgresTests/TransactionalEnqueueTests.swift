import Errand
import ErrandPostgres
import ErrandTesting
import Foundation
import Logging
import PostgresNIO
import Testing

/// Enqueueing inside the caller's own transaction: the task exists if and only if that transaction commits.
@Suite(.timeLimit(.minutes(5))) struct TransactionalEnqueueTests {
    struct Rollback: Error {}

    @Test func aRolledBackTransactionLeavesNoTaskAndACommittedOneRuns() async throws {
        try await PostgresFixture.withFreshStore { store in
            let logger = Logger(label: "test")
            let client = PostgresClient(configuration: store.configuration.clientConfiguration)
            let running = Task { await client.run() }
            defer { running.cancel() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(store.configuration.schema).orders (id int PRIMARY KEY)"))

            do {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("INSERT INTO \(unescaped: store.configuration.schema).orders VALUES (1)", logger: logger)
                    _ = try await store.enqueue([NewTask(handler: "errand.echo", arguments: "1")], now: Date(), on: connection)
                    throw Rollback()
                }
                Issue.record("the transaction did not roll back")
            } catch let error as PostgresTransactionError where error.closureError is Rollback {}
            #expect(try await store.list(TaskQuery()).tasks.isEmpty)

            let enqueued = try await client.withTransaction(logger: logger) { connection in
                try await connection.query("INSERT INTO \(unescaped: store.configuration.schema).orders VALUES (2)", logger: logger)
                return try await store.enqueue([NewTask(handler: "errand.echo", arguments: "2")], now: Date(), on: connection)
            }
            let id = enqueued[0].task.id
            let node = ErrandNode(store: store, handlers: .withBuiltins())
            let serving = Task { try await node.run() }
            let done = try await ErrandClient(store: store).wait(for: id, timeout: 30)
            #expect(done.state == .completed && done.result == "2")
            serving.cancel()
            _ = await serving.result
        }
    }
}
