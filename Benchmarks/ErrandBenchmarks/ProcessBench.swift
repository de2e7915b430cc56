import Errand
import ErrandCore
import ErrandProcess
import ErrandStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// (c) child-process workers (`--process-tasks N`): N tasks, each run as `/bin/true` by a ProcessRunner (workspace
//     made, inputs written, outputs read, workspace removed), `--process-concurrency` at a time; beside it, the bare
//     cost of the same N spawns of `/bin/true` with posix_spawn + waitpid at the same concurrency, as the ceiling.

/// Spawns `/bin/true` `count` times, `concurrency` at a time, with nothing else; returns spawns/s.
func bareSpawns(_ count: Int, concurrency: Int) async -> Double {
    let start = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        var next = 0
        func spawnOne() {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
            defer { for pointer in argv { free(pointer) } }
            if posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0 {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            }
        }
        for _ in 0..<min(concurrency, count) {
            next += 1
            group.addTask { spawnOne() }
        }
        while await group.next() != nil {
            if next < count {
                next += 1
                group.addTask { spawnOne() }
            }
        }
    }
    return Double(count) / seconds(since: start)
}

/// Runs `count` child-process tasks through a dispatcher and a ProcessRunner; returns tasks/s (first claim to the
/// last finish written).
func processDrain(_ options: Options, count: Int, concurrency: Int) async throws -> Double {
    let bench = try await BenchStore.fresh(options)
    let store = bench.store
    var remaining = count
    while remaining > 0 {
        let batch = min(1000, remaining)
        _ = try await store.enqueue(Array(repeating: NewTask(handler: TaskSpec.processHandler, arguments: #""x""#), count: batch), now: Date())
        remaining -= batch
    }
    let base = options.processWorkDir.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
    let work = base.appendingPathComponent("errand-bench-work-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: work) }
    let runner = ProcessRunner(configuration: ProcessWorkerConfiguration(command: ["/bin/true"], workDirectory: work.path, cleanupWorkspace: true))
    let dispatcher = Dispatcher(
        store: store,
        runner: runner,
        configuration: DispatcherConfiguration(worker: "bench", capacity: concurrency, maxClaimBatch: concurrency)
    )
    let start = ContinuousClock.now
    let running = Task { try await dispatcher.run() }
    while true {
        let waiting = try await store.nextRunAt(queues: [])
        let leased = try await store.nextLeaseExpiry()
        if waiting == nil && leased == nil { break }
        try await Task.sleep(for: .milliseconds(5))
    }
    let rate = Double(count) / seconds(since: start)
    dispatcher.stop()
    try await running.value
    let completed = try await store.statistics().reduce(0) { $0 + $1[.completed] }
    await bench.cleanup()
    precondition(completed == count, "only \(completed) of \(count) process tasks completed")
    return rate
}

/// The child-process benchmark: `options.runs` runs of both measures; prints each and the medians with their ratio.
func processBenchmark(_ options: Options) async throws {
    let count = options.processTasks
    let concurrency = options.processConcurrency
    var bare: [Double] = []
    var errand: [Double] = []
    for run in 1...options.runs {
        bare.append(await bareSpawns(count, concurrency: concurrency))
        errand.append(try await processDrain(options, count: count, concurrency: concurrency))
        print("run \(run): bare spawn \(format(bare.last!))/s, errand worker \(format(errand.last!)) tasks/s")
    }
    print(
        "child-process tasks: \(count) tasks of /bin/true, \(concurrency) at a time, workspaces in \(options.processWorkDir ?? "the temporary directory")"
    )
    print("  bare posix_spawn + waitpid/s: \(summary(bare))")
    print("  errand worker tasks/s:        \(summary(errand))")
    print("  ratio errand / bare: \(String(format: "%.2f", median(errand) / median(bare)))")
}
