import Errand
import ErrandCore
import ErrandStore
import Foundation
import Synchronization

// The drain beside a history of finished tasks, with archiving off and on (`task_storage.archive_older_than`):
//
//   swift run -c release ErrandBenchmarks --archive-history 500000 [--archive-tasks 50000] [--runs 3] [--store …]
//
// Each run, on a fresh store: run `--archive-history` no-op tasks to completion (the history), then in three ways
// enqueue and drain `--archive-tasks` more:
//   off:    the history stays in the task table;
//   before: the history was moved to the archive first (the archive rate is printed);
//   during: a janitor-like loop archives every finished task each 0.2 s while the drain runs.
// Beside each drain, the reads the dashboard makes of the task table: statistics() and the newest page of
// completed tasks.

/// What one way of one run measured.
struct ArchiveRun {
    var drainRate: Double
    var statisticsMilliseconds: Double
    var listMilliseconds: Double
}

func archiveBenchmark(_ options: Options) async throws {
    var results: [String: [ArchiveRun]] = [:]
    var archiveRates: [Double] = []
    for run in 1...options.runs {
        for way in ["off", "before", "during"] {
            let bench = try await BenchStore.fresh(options)
            let store = bench.store
            _ = try await enqueueNoOps(store, count: options.archiveHistory, batch: options.batch)
            _ = try await drain([store], count: options.archiveHistory, capacity: options.capacity)
            if way == "before" {
                let start = ContinuousClock.now
                var moved = 0
                while true {
                    let batch = try await store.archive(finishedBefore: Date().addingTimeInterval(1), limit: 10_000)
                    moved += batch
                    if batch < 10_000 { break }
                }
                precondition(moved == options.archiveHistory, "archived \(moved) of \(options.archiveHistory)")
                archiveRates.append(Double(moved) / seconds(since: start))
            }
            _ = try await enqueueNoOps(store, count: options.archiveTasks, batch: options.batch)
            let archiving = Atomic<Bool>(way == "during")
            let janitor = Task {
                while archiving.load(ordering: .relaxed) {
                    _ = try? await store.archive(finishedBefore: Date().addingTimeInterval(1), limit: 10_000)
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            let elapsed = try await drain([store], count: options.archiveTasks, capacity: options.capacity)
            archiving.store(false, ordering: .relaxed)
            await janitor.value
            var start = ContinuousClock.now
            let statistics = try await store.statistics()
            let statisticsMilliseconds = seconds(since: start) * 1000
            start = ContinuousClock.now
            _ = try await store.list(TaskQuery(states: [.completed], limit: 100))
            let listMilliseconds = seconds(since: start) * 1000
            let live = statistics.reduce(0) { $0 + $1[.completed] }
            let archived = try await store.count(TaskQuery(archived: true), upTo: 100_000_000)
            await bench.cleanup()
            precondition(live + archived == options.archiveHistory + options.archiveTasks, "\(live) + \(archived) tasks completed")
            let result = ArchiveRun(
                drainRate: Double(options.archiveTasks) / elapsed,
                statisticsMilliseconds: statisticsMilliseconds,
                listMilliseconds: listMilliseconds
            )
            results[way, default: []].append(result)
            print(
                "run \(run) \(way): drain \(format(result.drainRate))/s, statistics \(String(format: "%.1f", statisticsMilliseconds)) ms, "
                    + "newest completed page \(String(format: "%.1f", listMilliseconds)) ms; \(live) live, \(archived) archived"
            )
        }
    }
    print("archive: \(options.archiveHistory) finished tasks of history, drain of \(options.archiveTasks) more")
    print("  archive (move) tasks/s: \(summary(archiveRates))")
    for way in ["off", "before", "during"] {
        let runs = results[way] ?? []
        print(
            "  \(way): drain tasks/s \(summary(runs.map(\.drainRate))), statistics ms \(summary(runs.map(\.statisticsMilliseconds), 1)), "
                + "completed page ms \(summary(runs.map(\.listMilliseconds), 1))"
        )
    }
}
