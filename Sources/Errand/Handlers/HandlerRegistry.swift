import ErrandCore
import Foundation

/// The in-process handlers a node can run, by name (`module.function`). Only registered names run.
public struct HandlerRegistry: Sendable {
    /// A handler's body: it gets the attempt's context and returns a result payload as JSON text (or `nil`).
    /// Throwing fails the attempt; Swift task cancellation asks it to stop.
    public typealias Body = @Sendable (TaskContext) async throws -> String?

    private var handlers: [String: Body] = [:]

    /// An empty registry; see ``withBuiltins()`` for one that knows `errand.echo` and friends.
    public init() {}

    /// The names registered, sorted.
    public var names: [String] { handlers.keys.sorted() }

    /// Whether `name` is registered.
    public func contains(_ name: String) -> Bool { handlers[name] != nil }

    /// The body registered under `name`.
    public func body(for name: String) -> Body? { handlers[name] }

    /// Registers a handler that works on raw JSON text.
    /// - Precondition: `name` is a valid handler name (see ``HandlerName``).
    public mutating func register(_ name: String, _ body: @escaping Body) {
        precondition(HandlerName.problem(name) == nil, HandlerName.problem(name) ?? "")
        handlers[name] = body
    }

    /// Registers a handler with typed arguments and result, encoded as JSON.
    ///
    /// ```swift
    /// registry.register("billing.invoice") { (order: Order, context) in try await invoice(order) }
    /// ```
    public mutating func register<Arguments: Decodable & Sendable, Result: Encodable & Sendable>(
        _ name: String,
        _ body: @escaping @Sendable (Arguments, TaskContext) async throws -> Result
    ) {
        register(name) { context in
            let arguments = try context.decodeArguments(as: Arguments.self)
            let result = try await body(arguments, context)
            if result is EmptyResult { return nil }
            return String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        }
    }
}

/// The result of a handler that returns nothing worth storing.
public struct EmptyResult: Codable, Sendable {
    public init() {}
}
