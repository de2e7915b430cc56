import ErrandCore
import Synchronization

/// The tasks this store claimed and has not finished, as the claim wrote them, with that row version (`xmin`).
///
/// A finish of a cached task skips reading the row: ``TaskTransition`` runs on the cached record and the write is
/// guarded by the cached version, so a task changed meanwhile (a cancel, a rescue, an operator's edit) is not
/// overwritten: its guarded write misses and the event is applied again on the stored row. Entries leave when the
/// task's event is applied; a heartbeat puts the task back at the version it wrote.
final class ClaimCache: Sendable {
    struct Entry: Sendable {
        var task: TaskRecord
        var version: String
    }

    private let entries = Mutex<[TaskID: Entry]>([:])
    /// Most entries kept; past it the cache starts again empty (tasks then take the read path). An entry outlives
    /// its task only when a claimer drops the task without a finish or a heartbeat reaching the store (its lease was
    /// lost while it stalled), so this is a backstop on memory (an entry is a few hundred bytes).
    let limit: Int

    init(limit: Int = 50_000) {
        self.limit = limit
    }

    /// Remembers freshly claimed tasks.
    func insert(_ claimed: [(TaskRecord, String)]) {
        guard !claimed.isEmpty else { return }
        entries.withLock { entries in
            if entries.count + claimed.count > limit { entries.removeAll() }
            for (task, version) in claimed { entries[task.id] = Entry(task: task, version: version) }
        }
    }

    /// Removes and returns the entries of `ids`.
    func take(_ ids: some Sequence<TaskID>) -> [TaskID: Entry] {
        entries.withLock { entries in
            var taken: [TaskID: Entry] = [:]
            for id in ids { if let entry = entries.removeValue(forKey: id) { taken[id] = entry } }
            return taken
        }
    }

    /// Number of entries (for tests).
    var count: Int { entries.withLock { $0.count } }
}
