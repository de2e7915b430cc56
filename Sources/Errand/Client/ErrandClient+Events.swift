import ErrandCore
import ErrandStore
import Foundation

/// Which state changes a follower wants: all, or those of one queue, handler or task.
public struct StateChangeFilter: Sendable, Hashable {
    public var queue: String?
    public var handler: String?
    public var taskID: TaskID?

    public init(queue: String? = nil, handler: String? = nil, taskID: TaskID? = nil) {
        self.queue = queue
        self.handler = handler
        self.taskID = taskID
    }

    /// Whether `change` passes every filter given.
    public func matches(_ change: StateChange) -> Bool {
        (queue == nil || change.queue == queue) && (handler == nil || change.handler == handler)
            && (taskID == nil || change.taskID == taskID)
    }
}

/// Reads the store's state changes batch by batch from a cursor: what ``StateChanges`` and the HTTP API's event stream
/// are made of.
public struct StateChangeFollower: Sendable {
    let store: any ChangeLog
    let filter: StateChangeFilter
    let pollInterval: Double
    private let signal: ChangeSignal
    /// The cursor of the last change read.
    public private(set) var cursor: String

    /// Follows from `cursor`, or from now when `nil`.
    /// - Throws: ``StoreError`` `.invalid` for a cursor the store did not give.
    public init(store: any ChangeLog, after cursor: String?, matching filter: StateChangeFilter, pollInterval: Double = 0.25) async throws {
        self.store = store
        self.filter = filter
        self.pollInterval = pollInterval
        self.signal = store.changes()
        if let cursor {
            _ = try await store.stateChanges(after: cursor, limit: 1)  // refuse a foreign cursor now, not later
            self.cursor = cursor
        } else {
            self.cursor = try await store.stateChangeHead()
        }
    }

    /// The next matching changes; when there are none yet, waits for up to `seconds` (or the poll interval, if
    /// shorter) and answers none.
    public mutating func next(waitingAtMost seconds: Double) async throws -> [StateChange] {
        let seen = signal.generation
        let batch = try await store.stateChanges(after: cursor, limit: 1000)
        if let last = batch.last { cursor = last.cursor }
        let matching = batch.filter(filter.matches)
        if matching.isEmpty, batch.count < 1000, seconds > 0 {
            let clock = SystemTimeSource()
            _ = await signal.wait(beyond: seen, until: clock.now.addingTimeInterval(min(seconds, pollInterval)), time: clock)
        }
        return matching
    }
}

/// The state changes of tasks as a store's change log records them, from every process on the store, read by the
/// iterating task.
///
/// ```swift
/// for try await change in StateChanges(following: store, matching: StateChangeFilter(queue: "billing")) {
///     print(change.taskID, change.from?.rawValue ?? "new", "→", change.to.rawValue)
/// }
/// ```
/// The change log is a node's part of the store (``ChangeLog``); over HTTP, follow `GET /v1/events` instead.
public struct StateChanges: AsyncSequence, Sendable {
    public typealias Element = StateChange
    let store: any ChangeLog
    let cursor: String?
    let filter: StateChangeFilter
    let pollInterval: Double

    /// Follows each change after `cursor` (a ``StateChange/cursor`` seen before, to resume), or, when `nil`, from the
    /// first iteration on. The store is read again every `pollInterval` seconds of real time while nothing new comes
    /// (at once on a change in this process). The sequence ends when the iterating task is cancelled; it throws when
    /// the store fails, or (``StoreError`` `.invalid`) for a cursor the store did not give.
    public init(
        following store: any ChangeLog,
        after cursor: String? = nil,
        matching filter: StateChangeFilter = StateChangeFilter(),
        pollInterval: Double = 0.25
    ) {
        self.store = store
        self.cursor = cursor
        self.filter = filter
        self.pollInterval = pollInterval
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(changes: self)
    }

    /// Reads batches with a ``StateChangeFollower`` (made at the first `next()`), and hands their changes out one by one.
    public struct Iterator: AsyncIteratorProtocol {
        let changes: StateChanges
        var follower: StateChangeFollower?
        var buffered: [StateChange] = []
        var position = 0

        public mutating func next() async throws -> StateChange? {
            while position == buffered.count {
                if Task.isCancelled { return nil }
                var follower: StateChangeFollower
                if let existing = self.follower {
                    follower = existing
                } else {
                    follower = try await StateChangeFollower(
                        store: changes.store,
                        after: changes.cursor,
                        matching: changes.filter,
                        pollInterval: changes.pollInterval
                    )
                }
                buffered = try await follower.next(waitingAtMost: changes.pollInterval)
                position = 0
                self.follower = follower
            }
            defer { position += 1 }
            return buffered[position]
        }
    }
}
