import Errand
import ErrandCore
import ErrandPostgres
import ErrandProcess
import ErrandSQLite
import ErrandStore
import Foundation
import ServiceLifecycle
import Synchronization

// Errand's throughput and latency on the embedded SQLite store, or on PostgreSQL with `--store postgres://…`.
//
//   swift run -c release ErrandBenchmarks [--tasks 100000] [--batch 1000] [--capacity 1000] [--latency-tasks 1000]
//       [--rate 200] [--runs 3] [--synchronous-full] [--store postgres://user@host:port/database] [--nodes 1]
//   swift run -c release ErrandBenchmarks --process-tasks 2000 [--process-concurrency 8] [--process-work-dir DIR] [--runs 3]
//       [--store …]
//   swift run -c release ErrandBenchmarks --remote-tasks 20000 [--remote-batch 100] [--remote-workers 4] [--runs 3] [--store …]
//   swift run -c release ErrandBenchmarks --tree-children 10000 [--batch 1000] [--runs 3] [--store …]
//   swift run -c release ErrandBenchmarks --archive-history 500000 [--archive-tasks 50000] [--runs 3] [--store …]
//   swift run -c release ErrandBenchmarks --routing-unmatched 100000 [--runs 3] [--store …]
//   swift run -c release ErrandBenchmarks --dashboard-tasks 1000000 [--dashboard-requests 20] [--dashboard-streams 20]
//       [--dashboard-changes 10000] [--store …]
//
// On PostgreSQL each run uses a new schema (dropped afterwards), and the latency run enqueues through a second store
// (its own connection pool, as another process would): the dispatcher learns of each task through LISTEN/NOTIFY.
//
// (a) burn-down: enqueue `--tasks` no-op tasks in batches of `--batch`, then drain them with in-process no-op
//     handlers; prints enqueue/s and drain/s (drain = first claim to the last finish written). With `--nodes K`, K
//     dispatchers of `--capacity` each drain together, each on a store of its own (its own connection pool, or its
//     own SQLite connection), as K nodes on one database would.
// (b) latency: with idle workers, enqueue `--latency-tasks` tasks one at a time at about `--rate`/s; prints the
//     enqueue-to-handler-start latency p50/p95/p99/max (from just before the enqueue call).

struct Options {
    var tasks = 100_000
    var batch = 1_000
    var capacity = 1_000
    var latencyTasks = 1_000
    var rate = 200.0
    var runs = 3
    var synchronousFull = false
    var postgresURL: String?
    var nodes = 1
    /// With a count, only the child-process benchmark runs (see ProcessBench.swift).
    var processTasks = 0
    var processConcurrency = 8
    var processWorkDir: String?
    /// With a count, only the remote-worker benchmark runs (see RemoteBench.swift).
    var remoteTasks = 0
    var remoteBatch = 100
    var remoteWorkers = 4
    /// With a count, only the task-tree benchmark runs (see TreeBench.swift).
    var treeChildren = 0
    /// With a count, only the archive benchmark runs (see ArchiveBench.swift): this many finished tasks of history.
    var archiveHistory = 0
    /// The tasks the archive benchmark drains beside that history.
    var archiveTasks = 50_000
    /// With a count, only the routing benchmark runs (see RoutingBench.swift): this many waiting gpu tasks.
    var routingUnmatched = 0
    /// With a count, only the dashboard benchmark runs (see DashboardBench.swift).
    var dashboardTasks = 0
    var dashboardRequests = 20
    var dashboardStreams = 20
    var dashboardChanges = 10_000

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            func value() -> String { iterator.next() ?? "" }
            switch flag {
            case "--tasks": tasks = Int(value()) ?? tasks
            case "--batch": batch = Int(value()) ?? batch
            case "--capacity": capacity = Int(value()) ?? capacity
            case "--latency-tasks": latencyTasks = Int(value()) ?? latencyTasks
            case "--rate": rate = Double(value()) ?? rate
            case "--runs": runs = Int(value()) ?? runs
            case "--synchronous-full": synchronousFull = true
            case "--store": postgresURL = value()
            case "--nodes": nodes = max(1, Int(value()) ?? nodes)
            case "--process-tasks": processTasks = Int(value()) ?? processTasks
            case "--process-concurrency": processConcurrency = Int(value()) ?? processConcurrency
            case "--process-work-dir": processWorkDir = value()
            case "--remote-tasks": remoteTasks = Int(value()) ?? remoteTasks
            case "--remote-batch": remoteBatch = Int(value()) ?? remoteBatch
            case "--remote-workers": remoteWorkers = Int(value()) ?? remoteWorkers
            case "--tree-children": treeChildren = Int(value()) ?? treeChildren
            case "--archive-history": archiveHistory = Int(value()) ?? archiveHistory
            case "--archive-tasks": archiveTasks = Int(value()) ?? archiveTasks
            case "--routing-unmatched": routingUnmatched = Int(value()) ?? routingUnmatched
            case "--dashboard-tasks": dashboardTasks = Int(value()) ?? dashboardTasks
            case "--dashboard-requests": dashboardRequests = max(1, Int(value()) ?? dashboardRequests)
            case "--dashboard-streams": dashboardStreams = max(1, Int(value()) ?? dashboardStreams)
            case "--dashboard-changes": dashboardChanges = max(1, Int(value()) ?? dashboardChanges)
            default:
                FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

/// A store on a fresh database: its own SQLite file, or its own PostgreSQL schema.
struct BenchStore {
    let store: any TaskStore
    /// A second handle on the same PostgreSQL schema (for enqueueing as another process would); SQLite: `store`.
    let producer: any TaskStore
    /// Another handle on the same database, for one more node (closed by ``cleanup``).
    let another: () async throws -> any TaskStore
    let cleanup: () async -> Void

    static func fresh(_ options: Options) async throws -> BenchStore {
        // Each store's background work runs until the cleanup (a benchmark process, not a service group).
        let runners = Mutex<[Task<Void, Never>]>([])
        func running<S: Service>(_ store: S) -> S {
            runners.withLock { $0.append(Task { try? await store.run() }) }
            return store
        }
        let stopRunners = { for runner in runners.withLock({ $0 }) { runner.cancel() } }
        if let url = options.postgresURL {
            var configuration = try PostgresConfiguration(url: url)
            configuration.schema = "errand_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8)
            let store = running(try await PostgresTaskStore(configuration: configuration))
            let producer = running(try await PostgresTaskStore(configuration: configuration))
            let others = Mutex<[PostgresTaskStore]>([])
            return BenchStore(store: store, producer: producer) {
                let other = running(try await PostgresTaskStore(configuration: configuration))
                others.withLock { $0.append(other) }
                return other
            } cleanup: {
                producer.close()
                for other in others.withLock({ $0 }) { other.close() }
                try? await store.dropSchema()
                store.close()
                stopRunners()
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = SQLiteTaskStore.Configuration()
        configuration.synchronousFull = options.synchronousFull
        let path = directory.appendingPathComponent("bench.db").path
        let store = running(try SQLiteTaskStore(path: path, configuration: configuration))
        return BenchStore(store: store, producer: store) {
            running(try SQLiteTaskStore(path: path, configuration: configuration))
        } cleanup: {
            stopRunners()
            try? FileManager.default.removeItem(at: directory)
        }
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Enqueues `options.tasks` no-op tasks, then drains them; returns (enqueue/s, drain/s).
func burnDown(_ options: Options) async throws -> (Double, Double) {
    let bench = try await BenchStore.fresh(options)
    let store = bench.store
    let enqueueRate = Double(options.tasks) / (try await enqueueNoOps(store, count: options.tasks, batch: options.batch))

    var stores: [any TaskStore] = [store]
    for _ in 1..<options.nodes { stores.append(try await bench.another()) }
    let drainRate = Double(options.tasks) / (try await drain(stores, count: options.tasks, capacity: options.capacity))
    let completed = try await store.statistics().reduce(0) { $0 + $1[.completed] }
    await bench.cleanup()
    precondition(completed == options.tasks, "only \(completed) of \(options.tasks) tasks completed")
    return (enqueueRate, drainRate)
}

/// Enqueues `count` no-op `bench.noop` tasks in batches of `batch`; answers the seconds it took.
func enqueueNoOps(_ store: any TaskStore, count: Int, batch: Int) async throws -> Double {
    let start = ContinuousClock.now
    var remaining = count
    while remaining > 0 {
        let size = min(batch, remaining)
        _ = try await store.enqueue(Array(repeating: NewTask(handler: "bench.noop"), count: size), now: Date())
        remaining -= size
    }
    return seconds(since: start)
}

/// Runs no-op `bench.noop` handlers with one dispatcher per store until `count` have run and no task waits or runs
/// (the last finishes are written); answers the seconds from the dispatchers' start.
func drain(_ stores: [any TaskStore], count: Int, capacity: Int) async throws -> Double {
    let ran = Atomic<Int>(0)
    var handlers = HandlerRegistry()
    handlers.register("bench.noop") { _ in
        ran.add(1, ordering: .relaxed)
        return nil
    }
    let dispatchers = stores.enumerated().map { index, store in
        Dispatcher(
            store: store,
            runner: InProcessRunner(handlers: handlers),
            configuration: DispatcherConfiguration(worker: "bench-\(index)", capacity: capacity, maxClaimBatch: capacity)
        )
    }
    let start = ContinuousClock.now
    let running = dispatchers.map { dispatcher in Task { try await dispatcher.run() } }
    while ran.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(2)) }
    while true {
        let waiting = try await stores[0].nextRunAt(queues: [])
        let leased = try await stores[0].nextLeaseExpiry()
        if waiting == nil && leased == nil { break }
        try await Task.sleep(for: .milliseconds(2))
    }
    let elapsed = seconds(since: start)
    for dispatcher in dispatchers { dispatcher.stop() }
    for task in running { try await task.value }
    return elapsed
}

/// Enqueues tasks one at a time to idle workers; returns the sorted enqueue-to-start latencies in milliseconds.
func latency(_ options: Options) async throws -> [Double] {
    let bench = try await BenchStore.fresh(options)
    let store = bench.store
    let clock = ContinuousClock()
    let origin = clock.now
    let starts = Mutex<[String: Double]>([:])
    var handlers = HandlerRegistry()
    handlers.register("bench.mark") { context in
        let now = seconds(since: origin)
        starts.withLock { $0[context.task.arguments] = now }
        return nil
    }
    let dispatcher = Dispatcher(
        store: store,
        runner: InProcessRunner(handlers: handlers),
        configuration: DispatcherConfiguration(worker: "bench", capacity: 32)
    )
    let running = Task { try await dispatcher.run() }
    try await Task.sleep(for: .milliseconds(200))
    var enqueued: [String: Double] = [:]
    let interval = 1.0 / options.rate
    for index in 0..<options.latencyTasks {
        let key = "\(index)"
        enqueued[key] = seconds(since: origin)
        _ = try await bench.producer.enqueue([NewTask(handler: "bench.mark", arguments: key)], now: Date())
        let next = Double(index + 1) * interval
        let wait = next - (seconds(since: origin) - 0.2)
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    }
    while starts.withLock({ $0.count }) < options.latencyTasks { try await Task.sleep(for: .milliseconds(5)) }
    dispatcher.stop()
    try await running.value
    await bench.cleanup()
    let started = starts.withLock { $0 }
    return enqueued.map { key, at in ((started[key] ?? .infinity) - at) * 1000 }.sorted()
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func format(_ value: Double) -> String { String(format: "%.0f", value) }

func summary(_ values: [Double], _ digits: Int = 0) -> String {
    let style = "%.\(digits)f"
    return "\(String(format: style, median(values))) (\(String(format: style, values.min() ?? 0))-\(String(format: style, values.max() ?? 0)))"
}

let options = Options(CommandLine.arguments)
let storeName =
    options.postgresURL.map { "PostgreSQL \(PostgresConfiguration.redacted($0))" }
    ?? "SQLite WAL synchronous=\(options.synchronousFull ? "FULL" : "NORMAL")"
print("errand benchmark: \(storeName), \(options.runs) runs, median (min-max)")
if options.processTasks > 0 {
    try await processBenchmark(options)
    exit(0)
}
if options.remoteTasks > 0 {
    try await remoteBenchmark(options)
    exit(0)
}
if options.dashboardTasks > 0 {
    try await dashboardBenchmark(options)
    exit(0)
}
if options.routingUnmatched > 0 {
    try await routingBenchmark(options)
    exit(0)
}
if options.archiveHistory > 0 {
    try await archiveBenchmark(options)
    exit(0)
}
if options.treeChildren > 0 {
    try await treeBenchmark(options)
    exit(0)
}
var enqueueRates: [Double] = []
var drainRates: [Double] = []
var p50s: [Double] = []
var p95s: [Double] = []
var p99s: [Double] = []
var maxima: [Double] = []
for run in 1...options.runs {
    let (enqueueRate, drainRate) = try await burnDown(options)
    let latencies = try await latency(options)
    enqueueRates.append(enqueueRate)
    drainRates.append(drainRate)
    p50s.append(percentile(latencies, 0.50))
    p95s.append(percentile(latencies, 0.95))
    p99s.append(percentile(latencies, 0.99))
    maxima.append(latencies.last ?? 0)
    print(
        "run \(run): enqueue \(format(enqueueRate))/s, drain \(format(drainRate))/s, latency ms p50 \(String(format: "%.2f", p50s.last!))"
            + " p95 \(String(format: "%.2f", p95s.last!)) p99 \(String(format: "%.2f", p99s.last!)) max \(String(format: "%.2f", maxima.last!))"
    )
}
print("burn-down \(options.tasks) tasks, batches of \(options.batch), \(options.nodes) node(s) of capacity \(options.capacity)")
print("  enqueue tasks/s: \(summary(enqueueRates))")
print("  drain tasks/s:   \(summary(drainRates))")
print("latency \(options.latencyTasks) tasks at \(format(options.rate))/s, enqueue to handler start, ms")
print("  p50 \(summary(p50s, 2))  p95 \(summary(p95s, 2))  p99 \(summary(p99s, 2))  max \(summary(maxima, 2))")
