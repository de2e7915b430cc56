import Errand
import Foundation
import Logging
import UnixSignals

/// Applies changes to the configuration file without a restart: on SIGHUP, and when the file changes (checked every
/// second, and read once it has not changed for 200 ms). A file that does not check out is rejected whole and the
/// running definitions stay (logged). Only the
/// definitions are live; the runner and storage settings take effect at the next start.
struct ConfigReloader {
    let path: String
    let scheduler: Scheduler
    let logger: Logger

    /// What identifies a version of the file: its modification time and size.
    private func stamp() -> [String]? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return ["\(attributes[.modificationDate] ?? "")", "\(attributes[.size] ?? "")"]
    }

    func run() async {
        var last = stamp()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { self.reload(reason: "SIGHUP") }
            }
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                var now = stamp()
                guard now != last else { continue }
                // A file being written (an editor that truncates, then writes) is read once it holds still: read
                // half-way, an empty file is a valid configuration with no definitions, and would stop them all.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    let settled = stamp()
                    if settled == now { break }
                    now = settled
                }
                last = now
                reload(reason: "the file changed")
            }
            group.cancelAll()
        }
    }

    private func reload(reason: String) {
        do {
            let config = try ConfigCommand.load(path)
            scheduler.update(config.definitions)
            logger.notice("configuration reloaded (\(reason)): \(config.definitions.count) task definitions", metadata: ["errand.config": "\(path)"])
        } catch {
            logger.error("configuration rejected (\(reason)); the running one stays: \(error)", metadata: ["errand.config": "\(path)"])
        }
    }
}
