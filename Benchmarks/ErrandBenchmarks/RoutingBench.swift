import ErrandCore
import ErrandStore
import Foundation

// The claim's cost beside waiting tasks it cannot take (capability routing, riaktq's tags):
//
//   swift run -c release ErrandBenchmarks --routing-unmatched 100000 [--runs 3] [--store …]
//
// Each run, on a fresh store: `--routing-unmatched` waiting tasks that require `gpu`, the most urgent of the queue,
// and 10,000 plain ones behind them. A claimer without tags then claims the plain tasks one at a time, and another
// 100 at a time; the same is timed on a store without the gpu tasks. A claim that walked past the tasks it cannot
// take would cost time in proportion to them; the requirement index keeps them out of its way. Last, a `gpu`
// claimer claims the gpu tasks 100 at a time (the tagged claim).

func routingBenchmark(_ options: Options) async throws {
    var single: [String: [Double]] = [:]
    var batched: [String: [Double]] = [:]
    var tagged: [Double] = []
    let plain = 10_000
    for run in 1...options.runs {
        for way in ["without", "with"] {
            let bench = try await BenchStore.fresh(options)
            let store = bench.store
            if way == "with" {
                for start in stride(from: 0, to: options.routingUnmatched, by: 5_000) {
                    let count = min(5_000, options.routingUnmatched - start)
                    _ = try await store.enqueue((0..<count).map { _ in NewTask(handler: "render", priority: 0, requires: ["gpu"]) }, now: Date())
                }
            }
            for _ in 0..<(plain / 5_000) {
                _ = try await store.enqueue((0..<5_000).map { _ in NewTask(handler: "render", priority: 5) }, now: Date())
            }
            var start = ContinuousClock.now
            for _ in 0..<1_000 {
                let claimed = try await store.claim(ClaimRequest(worker: "plain", limit: 1, now: Date()))
                precondition(claimed.count == 1 && claimed[0].requires.isEmpty, "a plain claim took \(claimed)")
            }
            let one = seconds(since: start) * 1000 / 1_000
            start = ContinuousClock.now
            for _ in 0..<50 {
                let claimed = try await store.claim(ClaimRequest(worker: "plain", limit: 100, now: Date()))
                precondition(claimed.count == 100 && claimed.allSatisfy(\.requires.isEmpty), "a plain claim took \(claimed.count)")
            }
            let hundred = seconds(since: start) * 1000 / 50
            single[way, default: []].append(one)
            batched[way, default: []].append(hundred)
            var line =
                "run \(run) \(way) \(options.routingUnmatched) unmatched: claim of 1 \(String(format: "%.3f", one)) ms, of 100 "
                + "\(String(format: "%.2f", hundred)) ms"
            if way == "with" {
                start = ContinuousClock.now
                for _ in 0..<50 {
                    let claimed = try await store.claim(ClaimRequest(worker: "gpu", limit: 100, now: Date(), tags: ["gpu"]))
                    precondition(claimed.count == 100 && claimed.allSatisfy { $0.requires == ["gpu"] }, "a gpu claim took \(claimed.count)")
                }
                let gpu = seconds(since: start) * 1000 / 50
                tagged.append(gpu)
                line += "; a gpu claim of 100 \(String(format: "%.2f", gpu)) ms"
            }
            print(line)
            await bench.cleanup()
        }
    }
    print("routing: a plain claimer beside \(options.routingUnmatched) waiting gpu tasks (ms per claim, median of \(options.runs))")
    print("  claim of 1, without / with: \(summary(single["without"] ?? [], 3)) / \(summary(single["with"] ?? [], 3))")
    print("  claim of 100, without / with: \(summary(batched["without"] ?? [], 2)) / \(summary(batched["with"] ?? [], 2))")
    print("  gpu claim of 100 (tagged): \(summary(tagged, 2))")
}
