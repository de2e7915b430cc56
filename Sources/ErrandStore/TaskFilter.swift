import ErrandCore
import Foundation

/// A task listing's filter by the names its members have on the wire: the HTTP API's query parameters
/// (`GET /v1/tasks?state=failed&tag=mail`), a bulk action's `filter` object, the dashboard's URL, and (with `--`
/// and dashes) the CLI's options. Every one of them reads and writes a filter through this one mapping.
public enum TaskFilterName: String, Sendable, CaseIterable {
    case queue
    /// Repeatable: any of the states.
    case state
    case handler
    case parentID = "parent_id"
    case module
    case tag
    /// An RFC 3339 date-time: created at or after it.
    case createdAfter = "created_after"
    /// An RFC 3339 date-time: created before it.
    case createdBefore = "created_before"
    /// Text the arguments' JSON contains.
    case text
    /// The idempotency key, finished tasks included.
    case idempotencyKey = "idempotency_key"
}

extension TaskQuery {
    /// The filter's members that are set, each with its values (only `state` has several), in
    /// ``TaskFilterName`` order. Times are written with milliseconds in UTC.
    public var filterMembers: [(name: TaskFilterName, values: [String])] {
        let members: [(TaskFilterName, [String])] = [
            (.queue, queue.map { [$0] } ?? []), (.state, states.map(\.rawValue)), (.handler, handler.map { [$0] } ?? []),
            (.parentID, parentID.map { [$0.rawValue] } ?? []), (.module, module.map { [$0] } ?? []), (.tag, tag.map { [$0] } ?? []),
            (.createdAfter, createdAfter.map { [$0.iso8601] } ?? []), (.createdBefore, createdBefore.map { [$0.iso8601] } ?? []),
            (.text, text.map { [$0] } ?? []), (.idempotencyKey, idempotencyKey.map { [$0] } ?? []),
        ]
        return members.filter { !$0.1.isEmpty }.map { (name: $0.0, values: $0.1) }
    }

    /// Whether any filter member is set.
    public var isFiltered: Bool { !filterMembers.isEmpty }

    /// Sets the filter's members from `values`, which gives the values given under each name (none when absent);
    /// a member given no value is left as it is.
    /// - Throws: ``StoreError`` `.invalid` naming the member whose value does not read: an unknown state, a parent
    ///   id that is not a task id, a time that is not an RFC 3339 date-time, an empty text.
    public mutating func setFilter(_ values: (TaskFilterName) throws -> [String]) throws {
        func one(_ name: TaskFilterName) throws -> String? {
            guard let value = try values(name).first else { return nil }
            guard !value.isEmpty else { throw StoreError(.invalid, "the filter's \(name.rawValue) is empty") }
            return value
        }
        func time(_ name: TaskFilterName) throws -> Date? {
            guard let text = try one(name) else { return nil }
            guard let date = RFC3339.date(text) else {
                throw StoreError(.invalid, "the filter's \(name.rawValue) is not an RFC 3339 date-time: \(text)")
            }
            return date.wholeMilliseconds
        }
        let states = try values(.state).map { name in
            guard let state = TaskState(rawValue: name) else { throw StoreError(.invalid, "the filter's state \"\(name)\" is not a task state") }
            return state
        }
        if !states.isEmpty { self.states = states }
        if let parent = try one(.parentID) {
            guard let id = TaskID(parent) else { throw StoreError(.invalid, "the filter's parent_id is not a task id: \(parent)") }
            parentID = id
        }
        queue = try one(.queue) ?? queue
        handler = try one(.handler) ?? handler
        module = try one(.module) ?? module
        tag = try one(.tag) ?? tag
        createdAfter = try time(.createdAfter) ?? createdAfter
        createdBefore = try time(.createdBefore) ?? createdBefore
        text = try one(.text) ?? text
        idempotencyKey = try one(.idempotencyKey) ?? idempotencyKey
    }
}
