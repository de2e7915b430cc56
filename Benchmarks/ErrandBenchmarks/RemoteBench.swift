import Errand
import ErrandCore
import ErrandHTTP
import ErrandStore
import Foundation
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// (d) remote workers (`--remote-tasks N`): N waiting tasks drained by `--remote-workers` loops of
//     `POST /v1/claims` (max `--remote-batch`) then `POST /v1/finishes` with the whole batch, over loopback HTTP
//     (URLSession, keep-alive) against an in-process ErrandHTTPServer; beside it, the same loops calling the store
//     directly (claim, finish) on a fresh store with the same N tasks: the ceiling the API adds its cost to.

/// Enqueues `count` no-op tasks in batches of 1,000.
func fill(_ store: any TaskStore, _ count: Int) async throws {
    var left = count
    while left > 0 {
        let batch = min(1000, left)
        _ = try await store.enqueue((0..<batch).map { _ in NewTask(handler: "bench.remote", arguments: "{}") }, now: Date())
        left -= batch
    }
}

/// Drains the store with `workers` loops of claim + finish called on the store itself; answers tasks/s.
func directCycles(_ store: any TaskStore, count: Int, batch: Int, workers: Int) async throws -> Double {
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            group.addTask {
                while true {
                    let claimed = try await store.claim(ClaimRequest(worker: "direct-\(worker)", limit: batch, now: Date()))
                    if claimed.isEmpty { return }
                    let finishes = claimed.compactMap { task in task.lease.map { Finish(lease: $0, outcome: .succeeded, result: "null") } }
                    _ = try await store.finish(finishes, now: Date())
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(count) / seconds(since: start)
}

/// Drains the store through the HTTP API with `workers` loops of claims and batched finishes; answers tasks/s.
func remoteCycles(baseURL: String, count: Int, batch: Int, workers: Int) async throws -> Double {
    let session = URLSession(configuration: .default)
    defer { session.finishTasksAndInvalidate() }
    func post(_ path: String, _ body: String) async throws -> Data {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await session.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw HTTPServerError("\(path): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            group.addTask {
                let name = "remote-\(worker)"
                while true {
                    let answer = try await post("/v1/claims", #"{"worker": "\#(name)", "max": \#(batch)}"#)
                    let tasks = (try JSONSerialization.jsonObject(with: answer) as? [String: Any])?["tasks"] as? [[String: Any]] ?? []
                    if tasks.isEmpty { return }
                    let finishes = tasks.map { task in
                        #"{"id": "\#(task["id"] as? String ?? "")", "worker": "\#(name)", "attempt": \#(task["attempt"] as? Int ?? 0), "outcome": "succeeded", "result": null}"#
                    }
                    let done = try await post("/v1/finishes", #"{"finishes": [\#(finishes.joined(separator: ","))]}"#)
                    let results = (try JSONSerialization.jsonObject(with: done) as? [String: Any])?["results"] as? [[String: Any]] ?? []
                    guard results.count == tasks.count, results.allSatisfy({ $0["status"] as? String == "applied" }) else {
                        throw HTTPServerError("a finish was not applied: \(String(decoding: done, as: UTF8.self).prefix(300))")
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(count) / seconds(since: start)
}

/// An in-process ErrandHTTPServer on `store` at a free loopback port: its base URL and how to stop it.
func serveInProcess(_ store: any TaskStore) async throws -> (url: String, stop: () async -> Void) {
    var logger = Logger(label: "errand.bench.http")
    logger.logLevel = .error
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = try ErrandHTTPServer(
        configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
        services: APIServices(store: store),
        logger: logger
    ) { _, port in continuation.yield(port) }
    let running = Task { try await server.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw HTTPServerError("the server did not start") }
    return (
        "http://127.0.0.1:\(port)",
        {
            running.cancel()
            _ = await running.result
        }
    )
}

func remoteBenchmark(_ options: Options) async throws {
    let count = options.remoteTasks
    var direct: [Double] = []
    var remote: [Double] = []
    for run in 1...options.runs {
        let plain = try await BenchStore.fresh(options)
        try await fill(plain.store, count)
        direct.append(try await directCycles(plain.store, count: count, batch: options.remoteBatch, workers: options.remoteWorkers))
        await plain.cleanup()

        let served = try await BenchStore.fresh(options)
        try await fill(served.store, count)
        let server = try await serveInProcess(served.store)
        remote.append(try await remoteCycles(baseURL: server.url, count: count, batch: options.remoteBatch, workers: options.remoteWorkers))
        await server.stop()
        await served.cleanup()
        print("run \(run): store calls \(format(direct.last ?? 0)) tasks/s, over HTTP \(format(remote.last ?? 0)) tasks/s")
    }
    print("remote workers: \(count) tasks, \(options.remoteWorkers) loops of claim \(options.remoteBatch) + finish \(options.remoteBatch)")
    print("  store calls tasks/s: \(summary(direct))")
    print("  over HTTP tasks/s:   \(summary(remote))")
    print(String(format: "  ratio HTTP / store calls (medians): %.2f", median(remote) / median(direct)))
}
