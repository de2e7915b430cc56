import ArgumentParser
import ErrandCore
import Foundation

/// `errand cron`: work with cron expressions.
struct CronCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Check cron expressions and see when they fire.",
        subcommands: [CronNextCommand.self]
    )
}

/// `errand cron next EXPR`: the next fire times, one ISO 8601 time per line.
struct CronNextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next fire times of a cron expression, one ISO 8601 time per line.",
        discussion: """
            EXPR: 6 fields (second minute hour day-of-month month day-of-week), 5 fields (minute first), a macro
            (@yearly @annually @monthly @weekly @daily @midnight @hourly) or @every 1h30m. Quote it for the shell.
            An invalid expression exits 2 naming the field; one that never fires (such as June 31) exits 1. An
            expression starting with - goes after --: errand cron next --count 3 -- '-5 * * * * *'.
            """
    )

    @Argument(help: "The cron expression.")
    var expression: String

    @Option(name: .long, help: "Start after this time: ISO 8601 with an offset or Z, or a wall-clock time in --tz (default: now).")
    var from: String?

    @Option(name: .long, help: "How many fire times to print.")
    var count = 5

    @Option(name: .long, help: "Time zone of the schedule (IANA name, such as Europe/Paris).")
    var tz = "UTC"

    func run() async throws {
        guard count >= 1 else { throw CLIFailure("--count must be at least 1, got \(count)", exitCode: CLIFailure.badInput) }
        guard let zone = TimeZone(identifier: tz) else {
            throw CLIFailure("--tz: unknown time zone \"\(tz)\" (use an IANA name such as Europe/Paris or UTC)", exitCode: CLIFailure.badInput)
        }
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule(expression)
        } catch {
            throw CLIFailure("\(expression): \(error)", exitCode: CLIFailure.badInput)
        }
        let start =
            try from.map { text throws(CLIFailure) in
                guard let date = ISOTime.parse(text, in: zone) else {
                    throw CLIFailure(
                        "--from: \"\(text)\" is not an ISO 8601 time such as 2026-01-31T09:30:00 or 2026-01-31T09:30:00Z",
                        exitCode: CLIFailure.badInput
                    )
                }
                return date
            } ?? Date()
        let times = schedule.next(count, after: start, in: zone)
        for time in times { print(ISOTime.format(time, in: zone)) }
        if times.count < count {
            throw CLIFailure(
                "\(expression) does not fire \(times.isEmpty ? "" : "again ")within \(CronSchedule.horizonYears) years",
                exitCode: CLIFailure.failed
            )
        }
    }
}
