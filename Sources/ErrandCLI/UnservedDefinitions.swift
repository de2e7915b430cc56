import ErrandCore
import ErrandStore
import Foundation

/// Definitions whose launches nothing would run: no node runs their handler on their queue, so each launch would wait
/// forever (Tarantool's statistics count such tasks as `unknown task`, and so does `errand stats`).
enum UnservedDefinitions {
    /// One warning per definition whose handler neither `handlers` (this node's, or those `errand serve` runs)
    /// run on its queue (`queues`, empty for every queue) nor a worker among `takers` (live workers of the store).
    static func warnings(_ definitions: [TaskDefinition], handlers: [String], queues: [String], takers: TaskTakers, store: String?) -> [String] {
        definitions.filter { definition in
            let local = handlers.contains(definition.handler) && (queues.isEmpty || queues.contains(definition.queue))
            return !local && !takers.take(queue: definition.queue, handler: definition.handler)
        }.map { definition in
            let workers =
                store.map { "no live worker of \($0) runs it on queue \"\(definition.queue)\"" } ?? "no store was given to look for workers in"
            return "tasks.\(definition.name): no node runs its handler \"\(definition.handler)\" (errand serve runs "
                + "\(handlers.joined(separator: ", ")); \(workers)): its launches will wait, counted as unknown task"
        }
    }

    /// Writes each warning to stderr.
    static func print(_ warnings: [String], file: String) {
        for warning in warnings { FileHandle.standardError.write(Data("warning: \(file): \(warning)\n".utf8)) }
    }
}
