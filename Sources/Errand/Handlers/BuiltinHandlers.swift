import ErrandCore
import Foundation

/// Fails an attempt with the outcome `timeout` rather than `failed`.
public struct HandlerTimeout: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension HandlerRegistry {
    /// A registry holding the built-in handlers:
    /// - `errand.echo`: returns its arguments unchanged.
    /// - `errand.sleep`: `{"seconds": 2.5}` (or a bare number) sleeps, then returns `{"slept": 2.5}`; stops early when
    ///   cancelled.
    /// - `errand.fail`: `{"message": "why"}` fails the attempt with that message.
    /// - `errand.bulk`: a ``BulkAction`` (`POST /v1/tasks/bulk`), over the tasks older than itself, reporting its
    ///   progress; returns what it did.
    /// - `errand.observe`: one run of an ``Observer`` (`observers:`); returns its report.
    ///
    /// `errand.command`, which runs a program, is in `ErrandProcess` (`HandlerRegistry.standard()`).
    public static func withBuiltins() -> HandlerRegistry {
        var registry = HandlerRegistry()
        registry.register("errand.echo") { context in context.arguments }
        registry.register("errand.sleep") { context in
            let seconds = try Self.number(context, key: "seconds")
            try await Task.sleep(for: .seconds(seconds))
            return #"{"slept":\#(seconds)}"#
        }
        registry.register("errand.fail") { context in
            let object = try? JSONSerialization.jsonObject(with: Data(context.arguments.utf8), options: [.fragmentsAllowed])
            let message = ((object as? [String: Any])?["message"] as? String) ?? (object as? String) ?? "errand.fail was asked to fail"
            throw HandlerFailure(message)
        }
        registry.register(BulkAction.handler) { context in
            let action = try BulkAction(arguments: context.arguments)
            let store = try context.requireStore("run a bulk action")
            let outcome = try await action.run(on: store, before: context.task.id, time: context.time) { done, total in
                try await context.reportProgress(completed: Double(done), total: Double(total))
            }
            return outcome.json(action.kind)
        }
        registry.register(Observer.handler, ObserveHandler.run)
        return registry
    }

    private static func number(_ context: TaskContext, key: String) throws -> Double {
        let object = try? JSONSerialization.jsonObject(with: Data(context.arguments.utf8), options: [.fragmentsAllowed])
        if let value = object as? Double { return value }
        if let value = (object as? [String: Any])?[key] as? Double { return value }
        throw HandlerFailure("\(context.task.handler) needs {\"\(key)\": <number>} as arguments, got \(context.arguments.prefix(80))")
    }
}
