import Errand
import ErrandCore
import ErrandProcess
import ErrandStore
import Foundation
import Synchronization

// What a tree costs: `--tree-children N` runs N no-op tasks twice, alternating, on a fresh store each time:
// (a) flat: enqueued in batches of `--batch` by the benchmark, then drained;
// (b) a tree: one root whose handler spawns the N as its internal children (batches of `--batch`) and returns;
//     timed from the root's enqueue until the root is completed, which includes settling it with the last child
//     and folding the N children.
// Prints tasks/s of each and the ratio.

/// Runs `body` against a dispatcher of `handlers` on a fresh store; answers the seconds `body` took.
private func timed(
    _ options: Options,
    handlers: HandlerRegistry,
    _ body: @Sendable (any TaskStore, ErrandClient) async throws -> Void
) async throws -> Double {
    let bench = try await BenchStore.fresh(options)
    let store = bench.store
    let dispatcher = Dispatcher(
        store: store,
        runner: InProcessRunner(handlers: handlers, store: store),
        configuration: DispatcherConfiguration(worker: "bench", capacity: options.capacity, maxClaimBatch: options.capacity)
    )
    let running = Task { try await dispatcher.run() }
    let start = ContinuousClock.now
    try await body(store, ErrandClient(store: store))
    let elapsed = seconds(since: start)
    dispatcher.stop()
    try await running.value
    await bench.cleanup()
    return elapsed
}

/// Flat: enqueue N, wait until every one completed.
private func flat(_ options: Options, count: Int) async throws -> Double {
    var handlers = HandlerRegistry()
    handlers.register("bench.noop") { _ in nil }
    let batch = options.batch
    return Double(count)
        / (try await timed(options, handlers: handlers) { store, _ in
            var remaining = count
            while remaining > 0 {
                let size = min(batch, remaining)
                _ = try await store.enqueue(Array(repeating: NewTask(handler: "bench.noop"), count: size), now: Date())
                remaining -= size
            }
            while try await store.statistics().reduce(0, { $0 + $1[.completed] }) < count {
                try await Task.sleep(for: .milliseconds(5))
            }
        })
}

/// A tree: one root spawning N children; wait until the root completed.
private func tree(_ options: Options, count: Int) async throws -> Double {
    var handlers = HandlerRegistry()
    handlers.register("bench.noop") { _ in nil }
    let batch = options.batch
    handlers.register("bench.root") { context in
        var remaining = count
        while remaining > 0 {
            let size = min(batch, remaining)
            try await context.spawn(Array(repeating: NewTask(handler: "bench.noop"), count: size))
            remaining -= size
        }
        return nil
    }
    return Double(count)
        / (try await timed(options, handlers: handlers) { store, client in
            let root = try await client.enqueue(NewTask(handler: "bench.root", module: "bench")).task
            let done = try await client.wait(for: root.id, timeout: 600)
            precondition(done.state == .completed, "the root ended \(done.state)")
            let folded = try await store.tree(of: root.id).filter(\.isFolded).count
            precondition(folded == count, "only \(folded) of \(count) children folded")
        })
}

func treeBenchmark(_ options: Options) async throws {
    let count = options.treeChildren
    var flats: [Double] = []
    var trees: [Double] = []
    for run in 1...options.runs {
        flats.append(try await flat(options, count: count))
        trees.append(try await tree(options, count: count))
        print("run \(run): flat \(format(flats.last ?? 0)) tasks/s, as one tree \(format(trees.last ?? 0)) tasks/s")
    }
    print("tree: \(count) no-op tasks, batches of \(options.batch), capacity \(options.capacity); enqueue to the last completed")
    print("  flat tasks/s:        \(summary(flats))")
    print("  one tree, tasks/s:   \(summary(trees))")
    print(String(format: "  ratio tree / flat (medians): %.2f", median(trees) / median(flats)))
}
