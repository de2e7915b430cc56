import Errand
import Foundation
import Logging
import UnixSignals

/// Applies changes to the configuration file without a restart: on SIGHUP, and when the file changes (checked every
/// second). A file that does not check out is rejected whole and the running definitions stay (logged). Only the
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
                let now = stamp()
                if now != last {
                    last = now
                    reload(reason: "the file changed")
                }
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
