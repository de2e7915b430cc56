import Foundation

/// The schedule of Tarantool's own configuration examples, read as its documentation describes it.
///
/// Both examples in Tarantool's task manager documentation write `schedule: "*/* 1 * * * *"` and say the task "will
/// be launched every minute". ccronexpr, the parser the documentation names (Tarantool's `cron-parser` rock bundles
/// it), refuses that expression: the step after `/` must be a number, and `*` fails with "Unsigned integer parse
/// error 4". So no reading of the fields gives what the text promises. Errand takes the text's word: the expression
/// means every minute at second 0 (`0 * * * * *`), and reading it logs one warning with that reading and the next
/// fire times. Any other `*/*` is refused like any invalid step.
enum TarantoolSchedule {
    /// The expression of Tarantool's examples, field by field.
    static let example = ["*/*", "1", "*", "*", "*", "*"]
    /// What Errand runs for it.
    static let reading = "0 * * * * *"

    /// Errand's reading of `text` when it is Tarantool's example, or `nil`.
    static func reading(of text: String) -> String? {
        text.split(whereSeparator: \.isWhitespace).map(String.init) == example ? reading : nil
    }

    /// The warning that reading `text` as ``reading`` gives, with the next three fire times after `now` in `zone`.
    static func warning(field: String, text: String, schedule: CronSchedule, zone: TimeZone, now: Date) -> String {
        let next = schedule.next(3, after: now, in: zone).map(\.iso8601).joined(separator: ", ")
        return "\(field): \"\(text)\" is not valid cron (ccronexpr refuses the step \"*\"); read as Tarantool's documentation "
            + "describes it, every minute: \"\(reading)\" (next: \(next))"
    }
}
