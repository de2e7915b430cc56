public import ServiceLifecycle

extension Service {
    /// Runs `body` while this service's ``Service/run()`` runs beside it, as a child task; cancels the service when
    /// `body` returns or throws, and waits for it to end.
    ///
    /// For a store used for one piece of work, outside a `ServiceGroup`:
    /// ```swift
    /// let store = try await PostgresTaskStore(url: url)
    /// let task = try await store.withRunning { try await ErrandClient(store: store).enqueue(NewTask(handler: "report")) }
    /// ```
    public func withRunning<T>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
