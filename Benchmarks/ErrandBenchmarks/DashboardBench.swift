import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// (e) the dashboard's reads on a big table (`--dashboard-tasks N`, e.g. 1,000,000): N tasks (a tenth tagged
//     `even`, every 1,000th with "needle" in its arguments, one in a hundred failed), an in-process ErrandHTTPServer
//     on loopback, and each request the dashboard makes timed `--dashboard-requests` times (URLSession,
//     keep-alive): the first page, a page deep in the table by its cursor, the capped count, filtered pages and
//     counts, the overview's statistics and its chart series. Then the event fan-out: `--dashboard-streams`
//     `curl -N` readers of `/v1/events?coalesce=250` (as that many browsers would hold), `--dashboard-changes`
//     tasks enqueued and claimed, and the time until every reader has been told of every change, with the bytes
//     each received beside a reader of the uncoalesced stream.

/// Enqueues the dashboard benchmark's tasks in batches of 1,000; one in a hundred is failed afterwards.
func fillForDashboard(_ store: any TaskStore, _ count: Int) async throws {
    var index = 0
    while index < count {
        let batch = (index..<min(count, index + 1000)).map { number in
            NewTask(
                handler: number % 2 == 0 ? "bench.dash.even" : "bench.dash.odd",
                arguments: number % 1000 == 7 ? #"{"n": \#(number), "note": "needle"}"# : #"{"n": \#(number)}"#,
                retry: RetryPolicy(maxAttempts: 1),
                tags: number % 10 == 0 ? ["even"] : []
            )
        }
        _ = try await store.enqueue(batch, now: Date())
        index += batch.count
    }
    var failed = 0
    while failed < count / 100 {
        let claimed = try await store.claim(
            ClaimRequest(handlers: ["bench.dash.odd"], worker: "bench", limit: min(1000, count / 100 - failed), now: Date())
        )
        if claimed.isEmpty { break }
        let finishes = claimed.compactMap { task in task.lease.map { Finish(lease: $0, outcome: .failed, result: nil, message: "bench") } }
        _ = try await store.finish(finishes, now: Date())
        failed += claimed.count
    }
}

/// Times `GET path` `times` times; answers the sorted durations in milliseconds and the last body.
func timedGets(_ session: URLSession, _ url: String, times: Int) async throws -> ([Double], Data) {
    var durations: [Double] = []
    var body = Data()
    for _ in 0..<times {
        let start = ContinuousClock.now
        let (data, response) = try await session.data(from: URL(string: url)!)
        durations.append(seconds(since: start) * 1000)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw HTTPServerError("\(url): \(String(decoding: data, as: UTF8.self).prefix(300))")
        }
        body = data
    }
    return (durations.sorted(), body)
}

/// `curl -sN` readers of `path`, each writing what it reads to a file of its own.
struct StreamReaders {
    let processes: [Process]
    let files: [URL]

    init(_ url: String, count: Int, directory: URL) throws {
        var processes: [Process] = []
        var files: [URL] = []
        for index in 0..<count {
            let file = directory.appendingPathComponent("stream-\(index).txt")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-sN", "-o", file.path, url]
            try process.run()
            processes.append(process)
            files.append(file)
        }
        self.processes = processes
        self.files = files
    }

    /// The changes each reader has been told of: the `changes` of its summaries, or its transition events.
    func changesSeen() -> [Int] {
        files.map { file in
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            var seen = 0
            for line in text.split(separator: "\n") where line.hasPrefix("data: ") {
                if let range = line.range(of: #""changes":"#) {
                    seen += Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
                } else {
                    seen += 1
                }
            }
            return seen
        }
    }

    func bytes() -> [Int] { files.map { ((try? FileManager.default.attributesOfItem(atPath: $0.path))?[.size] as? Int) ?? 0 } }

    /// Kills the readers and waits for them to exit (without blocking a thread: `waitUntilExit` inside async code
    /// waited minutes for a run loop here).
    func stop() async throws {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while processes.contains(where: \.isRunning) { try await Task.sleep(for: .milliseconds(10)) }
    }
}

func dashboardBenchmark(_ options: Options) async throws {
    let count = options.dashboardTasks
    let bench = try await BenchStore.fresh(options)
    let fillStart = ContinuousClock.now
    try await fillForDashboard(bench.store, count)
    print("filled \(count) tasks in \(String(format: "%.1f", seconds(since: fillStart))) s")
    let server = try await serveInProcess(bench.store)
    let base = server.url
    let session = URLSession(configuration: .default)

    // A cursor deep in the table: the newest-first listing's page near its end (10,000 tasks from the oldest).
    let deep = try await bench.store.list(TaskQuery(limit: min(count, 10_000), oldestFirst: true)).tasks.last?.id
    let requests: [(String, String)] = [
        ("first page (50)", "/v1/tasks?limit=50"),
        ("a deep page by cursor", "/v1/tasks?limit=50&cursor=\(deep?.rawValue ?? "")"),
        ("count, capped at 10,000", "/v1/tasks/count?up_to=10000"),
        ("count up to 1,000,000 (full)", "/v1/tasks/count?up_to=1000000"),
        ("first page, state=failed", "/v1/tasks?limit=50&state=failed"),
        ("count, state=failed", "/v1/tasks/count?state=failed&up_to=10000"),
        ("first page, tag=even", "/v1/tasks?limit=50&tag=even"),
        ("first page, text=needle", "/v1/tasks?limit=50&text=needle"),
        ("first page, oldest first", "/v1/tasks?limit=50&order=oldest"),
        ("overview: statistics", "/v1/statistics"),
        ("overview: last hour", "/v1/statistics/finished?minutes=60"),
    ]
    print("dashboard reads on \(count) tasks, \(options.dashboardRequests) requests each, ms p50 / p95 / max:")
    for (name, path) in requests {
        let (durations, _) = try await timedGets(session, base + path, times: options.dashboardRequests)
        print(
            "  \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) "
                + String(format: "%8.2f %8.2f %8.2f", percentile(durations, 0.5), percentile(durations, 0.95), durations.last ?? 0)
        )
    }

    // The event fan-out.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("errand-bench-streams-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let readers = try StreamReaders(base + "/v1/events?coalesce=250", count: options.dashboardStreams, directory: directory)
    let plainDirectory = directory.appendingPathComponent("plain")
    try FileManager.default.createDirectory(at: plainDirectory, withIntermediateDirectories: true)
    let plain = try StreamReaders(base + "/v1/events", count: 1, directory: plainDirectory)
    try await Task.sleep(for: .seconds(1))
    let changes = options.dashboardChanges
    let start = ContinuousClock.now
    var left = changes
    while left > 0 {
        let batch = min(1000, left)
        _ = try await bench.store.enqueue((0..<batch).map { _ in NewTask(handler: "bench.dash.fan") }, now: Date())
        left -= batch
    }
    let enqueued = seconds(since: start)
    var told = 0.0
    while true {
        if readers.changesSeen().allSatisfy({ $0 >= changes }) && plain.changesSeen().allSatisfy({ $0 >= changes }) {
            told = seconds(since: start)
            break
        }
        if seconds(since: start) > 120 { throw HTTPServerError("the readers were not told of every change in 120 s: \(readers.changesSeen())") }
        try await Task.sleep(for: .milliseconds(20))
    }
    let coalescedBytes = readers.bytes()
    let plainBytes = plain.bytes()
    try await readers.stop()
    try await plain.stop()
    print("event fan-out: \(changes) tasks enqueued in \(String(format: "%.2f", enqueued)) s to \(options.dashboardStreams) coalesced readers")
    print(String(format: "  every reader told of every change after %.2f s", told))
    print(
        "  bytes per reader: coalesced (250 ms) \(median(coalescedBytes.map(Double.init)).formatted()), uncoalesced \(plainBytes.first ?? 0)"
    )
    session.finishTasksAndInvalidate()
    await server.stop()
    await bench.cleanup()
}
