import Foundation

/// The environment variables `errand` reads, so that a misspelt one is reported instead of silently ignored (an
/// operator who writes `ERRAND_ADMIN_TOKEN` for `ERRAND_HTTP_ADMIN_TOKENS` must hear of it).
enum EnvironmentCheck {
    /// Every `ERRAND_*` variable a command reads.
    static let known: Set<String> = Set([
        "ERRAND_CONFIG", "ERRAND_DB", "ERRAND_STORE", "ERRAND_SERVER", "ERRAND_TOKEN", "ERRAND_CAPACITY",
        "ERRAND_FINISHED_TTL", "ERRAND_USER_TASK_TTL", "ERRAND_TASK_LOG_MAX_SIZE", "ERRAND_HTTP", "ERRAND_HTTP_AUTH",
        "ERRAND_HTTP_ADMIN_TOKENS", "ERRAND_HTTP_READ_TOKENS", "ERRAND_HTTP_MAX_WAIT", "ERRAND_DEBUG_POOL",
    ]).union(workerKeys.map { "ERRAND_WORKER_\($0)" })

    /// The keys of `ERRAND_WORKER_<KEY>` (`errand worker`'s settings).
    static let workerKeys = [
        "NAME", "CONCURRENCY", "NUM_TASKS", "EXIT_ON_EMPTY", "EXIT_ON_EMPTY_GRACE_PERIOD", "EXIT_ON_SUSPEND",
        "HEARTBEAT_INTERVAL", "HEARTBEAT_EXPIRATION", "SALVAGE_AFTER", "NUM_WORKER_SALVAGE_ON_START", "QUEUE", "COMMAND",
        "HANDLERS", "DEFAULT_TIMEOUT", "KILL_GRACE", "WORK_DIR", "CLEANUP_WORKSPACE",
    ]

    /// Prefixes of variables that are not settings: those a worker sets for its handler processes (a handler may run
    /// `errand` itself), and the test suite's.
    static let ignoredPrefixes = ["ERRAND_TASK_HANDLER_", "ERRAND_TEST_"]

    /// One warning per `ERRAND_*` variable in `environment` that no command reads, with the closest known name.
    static func warnings(_ environment: [String: String]) -> [String] {
        environment.keys.filter { name in
            name.hasPrefix("ERRAND_") && !known.contains(name) && !ignoredPrefixes.contains(where: name.hasPrefix)
        }.sorted().map { name in
            var warning = "\(name) is set but errand reads no such variable; it is ignored"
            if let close = closest(to: name) { warning += " (did you mean \(close)?)" }
            return warning
        }
    }

    /// The known name nearest to `name`: the fewest edits, or one that holds all of its words.
    static func closest(to name: String) -> String? {
        let words = Set(name.dropFirst("ERRAND_".count).split(separator: "_"))
        let scored = known.map { candidate -> (String, Int) in
            let candidateWords = Set(candidate.dropFirst("ERRAND_".count).split(separator: "_"))
            let distance = editDistance(Array(name.utf8), Array(candidate.utf8))
            // Every word of the misspelt name in the candidate (ADMIN_TOKEN in HTTP_ADMIN_TOKENS) counts as close.
            let contained = words.allSatisfy { word in candidateWords.contains { $0.hasPrefix(word) } }
            return (candidate, contained ? min(distance, 3) : distance)
        }
        guard let best = scored.min(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }), best.1 <= max(3, name.count / 3) else {
            return nil
        }
        return best.0
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
