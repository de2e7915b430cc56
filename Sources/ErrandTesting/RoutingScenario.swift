import Errand
import ErrandCore
public import ErrandStore
import Foundation
import Synchronization
public import Testing

/// Capability routing on a real store with real dispatchers: 1,000 tasks on one queue, a fifth of them requiring
/// `gpu`, run by a `gpu` node and a plain one side by side. Each task runs only on a node with its tags, and neither
/// kind starves: the plain node runs plain tasks while gpu tasks wait ahead of them, the gpu node runs both.
public enum RoutingScenario {
    public static func run(on store: any TaskStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let ranOn = Mutex<[TaskID: String]>([:])
        func node(_ name: String, tags: [String]) -> ErrandNode {
            var handlers = HandlerRegistry()
            handlers.register("render") { context in
                ranOn.withLock { $0[context.task.id] = name }
                return "\"\(name)\""
            }
            var dispatcher = DispatcherConfiguration(worker: name, capacity: 8, pollInterval: 0.2)
            dispatcher.tags = tags
            return ErrandNode(
                store: store,
                handlers: handlers,
                configuration: NodeConfiguration(dispatcher: dispatcher, leads: false, presence: WorkerPresenceConfiguration(id: name))
            )
        }
        // The gpu tasks first and most urgent: a plain node that walked past them would have to read them all.
        let gpu = (0..<200).map { _ in NewTask(handler: "render", priority: 0, requires: ["gpu"]) }
        let plain = (0..<800).map { _ in NewTask(handler: "render", priority: 5) }
        let tasks = try await store.enqueue(gpu + plain, now: Date()).map(\.task)
        let gpuIDs = Set(tasks.prefix(200).map(\.id))
        let nodes = [node("gpu-node", tags: ["gpu"]), node("plain-node", tags: [])]
        await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { try await node.run() } }
            // Finished as the store says (finishes are written in batches, after the handler returns).
            let done = await eventually(timeout: 120, every: 0.1, "every task completed") {
                (try? await store.count(TaskQuery(states: [.completed]), upTo: 10_000)) == tasks.count
            }
            #expect(done, "\(ranOn.withLock { $0.count }) of \(tasks.count) ran", sourceLocation: sourceLocation)
            group.cancelAll()
        }
        let placed = ranOn.withLock { $0 }
        let misplaced = placed.filter { gpuIDs.contains($0.key) && $0.value != "gpu-node" }
        #expect(misplaced.isEmpty, "gpu tasks ran on a node without gpu: \(misplaced.count)", sourceLocation: sourceLocation)
        #expect(placed.values.filter { $0 == "plain-node" }.count > 0, "the plain node ran nothing: starved", sourceLocation: sourceLocation)
        #expect(placed.filter { gpuIDs.contains($0.key) }.count == 200, sourceLocation: sourceLocation)
        #expect(placed.count == tasks.count, "each task ran once", sourceLocation: sourceLocation)
    }
}
