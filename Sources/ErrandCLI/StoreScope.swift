import ServiceLifecycle

/// Runs the stores a command opens for as long as the command runs: their background work (connection pools,
/// `LISTEN`, change watchers, checkpoints) is a child task of the command's scope, cancelled when the command ends.
///
/// A node's `ServiceGroup` shuts down the node gracefully while its store keeps running; the store stops after the
/// group, with the command.
enum StoreScope {
    @TaskLocal private static var services: AsyncStream<any Service>.Continuation?

    /// Runs `body`; every store it opens through ``run(_:)`` runs beside it.
    static func around(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void) async throws {
        let (stream, continuation) = AsyncStream<any Service>.makeStream()
        let result: Result<Void, any Error> = await withDiscardingTaskGroup { group in
            group.addTask {
                await withDiscardingTaskGroup { running in
                    for await service in stream { running.addTask { try? await service.run() } }
                }
            }
            defer { group.cancelAll() }
            do {
                try await $services.withValue(continuation) { try await body() }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        continuation.finish()
        try result.get()
    }

    /// Runs `store` in the current scope, and returns it.
    /// - Precondition: called inside ``around(_:)`` (``Main`` runs every command so).
    static func run<S: Service>(_ store: S) -> S {
        guard let services else { preconditionFailure("a store was opened outside StoreScope.around") }
        services.yield(store)
        return store
    }
}
