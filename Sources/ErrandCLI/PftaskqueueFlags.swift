import ErrandCore

/// pftaskqueue's `start-worker` flags, spelt as its Kubernetes Jobs write them (`--exit-on-empty=true`,
/// `--queue-name test`, `--heartbeat-interval 2s`), rewritten into Errand's before the command line is parsed.
/// Errand's own spellings pass through, and a duration written as a plain number of seconds is kept.
enum PftaskqueueFlags {
    /// pftaskqueue's value flags: Errand's name, and whether the value is a Go duration.
    static let values: [String: (errand: String, isDuration: Bool)] = [
        "--queue-name": ("--queue", false),
        "--default-command-timeout": ("--default-timeout", true),
        "--exit-on-empty-grace-period": ("--exit-on-empty-grace-period", true),
        "--num-worker-salvage-on-startup": ("--num-worker-salvage-on-start", false),
        "--heartbeat-interval": ("--heartbeat-interval", true),
        "--heartbeat-expiration-duration": ("--heartbeat-expiration", true),
        "--heartbeat-salvage-duration": ("--salvage-after", true),
        "--heartbeat-expiration": ("--heartbeat-expiration", true),
        "--salvage-after": ("--salvage-after", true),
        "--default-timeout": ("--default-timeout", true),
    ]

    /// pftaskqueue's boolean flags (Go's `--flag`, `--flag=true`, `--flag=false`): Errand's name (its `--no-` form
    /// for false).
    static let booleans: [String: String] = [
        "--cleanup-workspace-dir": "--cleanup-workspace", "--exit-on-suspend": "--exit-on-suspend", "--exit-on-empty": "--exit-on-empty",
    ]

    /// The arguments after the verb `start-worker`, in Errand's spellings; everything after `--` is the handler's.
    /// - Throws: ``CLIFailure`` (exit 2) for a duration or a boolean that does not read.
    static func translate(_ arguments: [String]) throws -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result += arguments[(index - 1)...]
                break
            }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            if let errand = booleans[name] {
                guard parts.count == 2 else {
                    result.append(errand)
                    continue
                }
                switch GoBool.read(parts[1]) {
                case true?: result.append(errand)
                case false?: result.append("--no-" + errand.dropFirst(2))
                case nil: throw CLIFailure("\(name): \"\(parts[1])\" is not true or false", exitCode: CLIFailure.badInput)
                }
            } else if let (errand, isDuration) = values[name] {
                var value: String
                if parts.count == 2 {
                    value = parts[1]
                } else {
                    guard index < arguments.count else { throw CLIFailure("\(name) needs a value", exitCode: CLIFailure.badInput) }
                    value = arguments[index]
                    index += 1
                }
                if isDuration, Double(value) == nil {
                    guard let seconds = GoDuration.seconds(value) else {
                        throw CLIFailure("\(name): \"\(value)\" is not a duration (30s, 1m30s, 500ms)", exitCode: CLIFailure.badInput)
                    }
                    value = String(seconds)
                }
                // Joined, so that a negative number (`-1`) is not read as a flag.
                result.append("\(errand)=\(value)")
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
