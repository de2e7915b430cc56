public import ErrandCore
public import ErrandStore
import Foundation

/// Retries, cancels or deletes every task that matches a filter, not only a page of them: the dashboard's and
/// `errand task retry|cancel --state … --queue …`'s bulk actions.
///
/// A server runs one as a task of the built-in handler `errand.bulk` (`POST /v1/tasks/bulk` enqueues it), which
/// reports its progress as it goes (``TaskRecord/progressCompleted`` of ``TaskRecord/progressTotal``) and ends with
/// what it did as its result. It touches only tasks older than itself: a task enqueued after the action was asked
/// for is left alone, so the count a user confirmed is the count acted on (less any that changed meanwhile).
public struct BulkAction: Sendable, Hashable {
    /// What is done to each matching task.
    public enum Kind: String, Sendable, CaseIterable {
        /// Run a finished task once more (``ClientStore/retry(_:now:)``).
        case retry
        /// Cancel an unfinished task and its unfinished descendants (``ClientStore/cancel(_:reason:now:)``).
        case cancel
        /// Delete a finished root task with its tree (``ClientStore/delete(_:)``); a matching child is skipped (it goes
        /// with its root).
        case delete
    }

    /// The handler of the task that runs a bulk action on a server.
    public static let handler = "errand.bulk"
    /// Tasks read per page.
    static let pageSize = 500

    public var kind: Kind
    /// The tasks acted on: its filters (its cursor and limit are not used).
    public var filter: TaskQuery

    public init(_ kind: Kind, filter: TaskQuery) {
        self.kind = kind
        self.filter = filter
    }

    /// What a bulk action did.
    public struct Outcome: Sendable, Hashable {
        /// Tasks that matched the filter when they were reached.
        public var matched = 0
        /// Tasks retried or cancelled.
        public var changed = 0
        /// Tasks that could not be (a retry of an unfinished task, a cancel of a finished one, a task not abortable, a
        /// delete of an unfinished task or of a child).
        public var skipped = 0

        /// `{"action": …, "matched": …, "changed": …, "skipped": …}`: the result of an `errand.bulk` task.
        public func json(_ kind: Kind) -> String {
            #"{"action":"\#(kind.rawValue)","matched":\#(matched),"changed":\#(changed),"skipped":\#(skipped)}"#
        }
    }

    /// Runs the action on `store`, page by page, over the tasks older than `before` (all of them when `nil`);
    /// calls `progress(done, total)` after each page, `total` being the filter's count when the action started, and
    /// `progress(done, done)` at the end.
    public func run(
        on store: any ClientStore,
        before: TaskID? = nil,
        time: any TimeSource = SystemTimeSource(),
        progress: (Int, Int) async throws -> Void = { _, _ in }
    ) async throws -> Outcome {
        var outcome = Outcome()
        let total = try await store.count(filter, upTo: 100_000_000)
        var query = filter
        query.limit = Self.pageSize
        query.cursor = before
        query.oldestFirst = false
        repeat {
            let page = try await store.list(query)
            for task in page.tasks {
                outcome.matched += 1
                do {
                    switch kind {
                    case .retry: _ = try await store.retry(task.id, now: time.now)
                    case .cancel: _ = try await store.cancel(task.id, reason: "cancelled in bulk", now: time.now)
                    case .delete: _ = try await store.delete(task.id)
                    }
                    outcome.changed += 1
                } catch let error as StoreError where [.refused, .notAbortable, .notFound].contains(error.code) {
                    outcome.skipped += 1
                }
            }
            try await progress(outcome.matched, max(total, outcome.matched))
            query.cursor = page.nextCursor
        } while query.cursor != nil
        // The count at the start may include tasks newer than `before`: the last report is what was done.
        try await progress(outcome.matched, outcome.matched)
        return outcome
    }

    /// The task that runs this action on a server (handler `errand.bulk`, internal, in the default queue, first in
    /// line).
    public func newTask() -> NewTask {
        var task = NewTask(handler: Self.handler, arguments: argumentsJSON, priority: 0)
        task.isInternal = true
        task.name = "bulk \(kind.rawValue)"
        task.retry = RetryPolicy(maxAttempts: 1)
        return task
    }

    /// `{"action": "retry", "filter": {"state": […], "queue": …, …}}`: the filter's members by their wire names
    /// (``TaskFilterName``), `state` as an array.
    var argumentsJSON: String {
        let members = filter.filterMembers.map { member -> (String, OutputJSON) in
            (member.name.rawValue, member.name == .state ? .array(member.values.map { .string($0) }) : .string(member.values[0]))
        }
        return OutputJSON.object([("action", .string(kind.rawValue)), ("filter", .object(members))]).text
    }

    /// The action of an `errand.bulk` task's arguments (the shape ``argumentsJSON`` writes).
    /// - Throws: ``HandlerFailure`` naming what is wrong.
    public init(arguments: String) throws {
        /// A filter member: a string, or (`state`) an array of them.
        enum Member: Decodable {
            case one(String)
            case many([String])
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) { self = .one(text) } else { self = .many(try container.decode([String].self)) }
            }
            var values: [String] {
                switch self {
                case .one(let text): [text]
                case .many(let texts): texts
                }
            }
        }
        struct Arguments: Decodable {
            var action: String
            var filter: [String: Member]?
        }
        guard let decoded = try? JSONDecoder().decode(Arguments.self, from: Data(arguments.utf8)),
            let kind = Kind(rawValue: decoded.action)
        else {
            throw HandlerFailure(#"errand.bulk needs {"action": "retry", "cancel" or "delete", "filter": {…}}, got \#(arguments.prefix(120))"#)
        }
        let members = decoded.filter ?? [:]
        if let unknown = members.keys.sorted().first(where: { TaskFilterName(rawValue: $0) == nil }) {
            throw HandlerFailure("errand.bulk: unknown filter member \"\(unknown)\"")
        }
        var filter = TaskQuery()
        do {
            try filter.setFilter { members[$0.rawValue]?.values ?? [] }
        } catch let error as StoreError {
            throw HandlerFailure("errand.bulk: \(error.message)")
        }
        self.init(kind, filter: filter)
    }
}
