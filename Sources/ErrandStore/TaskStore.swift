public import ErrandCore
public import Foundation

/// Persists tasks, queues and the launch log. The one plug-in point for storage: the protocols of each concern,
/// composed. ``ClientStore`` is the part a client needs (an Errand server's HTTP API offers it too); the rest is what
/// only a node on the store does.
///
/// Every method is atomic and takes `now` from the caller; no method reads a clock. State changes are decided by
/// ``TaskTransition`` in ErrandCore; a store only applies them, and applies a lease holder's change only while the
/// lease still matches. Conformance is checked by `StoreCheck.all` in ErrandTesting.
public protocol TaskStore: ClientStore, WorkerRegistry, LeaderLease, ScheduleMarks, ChangeLog, Housekeeping, SettingStore,
    DefinitionStore, TaskReports
{}

/// What a client of Errand needs: tasks, leases, queues, definition switches, dead letters and the cluster view.
public protocol ClientStore: TaskRecords, TaskLeases, QueueStore, DefinitionSwitches, DefinitionStore, DeadLetterStore, ClusterView {}

extension TaskStore {
    /// Waits on this store's change signal: wakes on every change it signals (in this process at once; from another
    /// process within the store's change interval), so waiting costs no polling of the task.
    public func wait(for id: TaskID, timeout: Double, time: any TimeSource) async throws -> TaskRecord {
        let changes = changes()
        let deadline = time.now.addingTimeInterval(timeout)
        while true {
            let seen = changes.generation
            guard let task = try await task(id) else { throw StoreError.notFound(id) }
            if task.state.isFinal { return task }
            if time.now >= deadline { throw WaitTimeout(task: task, timeout: timeout) }
            try Task.checkCancellation()
            // Re-check at least every second: a change can slip between the read and the wait in another process.
            _ = await changes.wait(beyond: seen, until: min(deadline, time.now.addingTimeInterval(1)), time: time)
        }
    }
}

extension Housekeeping {
    /// Deletes up to `limit` finished trees whose root finished before `finishedBefore`, user-started or not.
    public func prune(finishedBefore: Date, limit: Int) async throws -> Int {
        try await prune(finishedBefore: finishedBefore, userTasksFinishedBefore: finishedBefore, limit: limit)
    }

    /// When a waiting task of any handler in `queues` is next due (see ``nextRunAt(queues:handlers:)``).
    public func nextRunAt(queues: [String]) async throws -> Date? {
        try await nextRunAt(queues: queues, handlers: [])
    }
}
