import ErrandCore
import ErrandStore
import Foundation

/// `errand.observe`: one run of an observer (``Observer``): counts and lists the tasks its query matches, answers the
/// report as its result, and deletes the observer's older reports beyond the newest `keep`.
///
/// The report is `{"observer", "at", "count", "task_ids"}`: at most ``Observer/maxReportedIDs`` ids, newest first,
/// `count` counting them all. The observer's own runs (tasks of `errand.observe`) are never among them.
enum ObserveHandler {
    static func run(_ context: TaskContext) async throws -> String {
        let query = try context.decodeArguments(as: Observer.Query.self)
        let store = try context.requireStore("run an observer")
        let now = context.time.now
        var matching = TaskQuery(queue: query.queue, states: query.states, handler: query.handler, tag: query.tag, limit: Observer.maxReportedIDs + 1)
        if let age = query.age { matching.createdBefore = now.addingTimeInterval(-age) }
        let page = try await store.list(matching)
        var ids = page.tasks.filter { $0.handler != Observer.handler }.map(\.id.rawValue)
        var count = ids.count
        if page.nextCursor != nil {
            // More than a page: counted apart, less the observers' own runs (read a moment later, so the count is
            // exact only while they do not change meanwhile).
            let limit = 10_000_000
            var own = matching
            own.handler = Observer.handler
            count = try await store.count(matching, upTo: limit) - (query.handler == nil ? try await store.count(own, upTo: limit) : 0)
        }
        ids = Array(ids.prefix(Observer.maxReportedIDs))
        try await trim(store, module: context.task.module, keeping: query.keep - 1)
        let report = Observer.Report(observer: query.observer, at: now.iso8601, count: max(count, 0), taskIDs: ids)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Deletes the finished runs of `module` beyond the newest `keeping` (the run in progress is not among them).
    private static func trim(_ store: any TaskStore, module: String?, keeping: Int) async throws {
        guard let module else { return }
        let finished = try await store.list(TaskQuery(states: TaskState.allCases.filter(\.isFinal), module: module, limit: 1000)).tasks
        for old in finished.dropFirst(max(keeping, 0)) { _ = try? await store.delete(old.id) }
    }
}
