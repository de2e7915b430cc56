public import ErrandCore
public import Foundation

/// The tasks that reached a final state within one minute, by that state: the overview's throughput and failure rate.
public struct FinishedMinute: Sendable, Hashable {
    /// The minute's first instant (UTC, whole minutes since 1970).
    public var minute: Date
    /// Tasks by the final state they reached in this minute; states with none are absent.
    public var counts: [TaskState: Int]

    /// The longest series a store is asked for: a day.
    public static let maximumMinutes = 1440

    public init(minute: Date, counts: [TaskState: Int] = [:]) {
        self.minute = minute
        self.counts = counts
    }

    /// All the tasks finished in the minute.
    public var total: Int { counts.values.reduce(0, +) }

    /// The share of them that failed or went dead, 0 when none finished.
    public var failureRate: Double {
        total == 0 ? 0 : Double(counts[.failed, default: 0] + counts[.dead, default: 0]) / Double(total)
    }

    /// The number of a minute since 1970 that `date` falls in.
    public static func number(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 60).rounded(.down))
    }

    /// The first minute of a series of `minutes` ending with the minute `now` falls in.
    public static func first(of minutes: Int, now: Date) -> Int64 {
        number(of: now) - Int64(min(max(minutes, 1), maximumMinutes)) + 1
    }

    /// The series of `minutes` minutes ending with the one `now` falls in, from a store's sparse counts: rows of
    /// (minute number since 1970, final state, count), in any order.
    public static func series(_ rows: [(minute: Int64, state: TaskState, count: Int)], minutes: Int, now: Date) -> [FinishedMinute] {
        let first = first(of: minutes, now: now)
        var series = (first...number(of: now)).map { FinishedMinute(minute: Date(timeIntervalSince1970: Double($0) * 60)) }
        for row in rows where row.minute >= first && row.minute - first < series.count {
            series[Int(row.minute - first)].counts[row.state, default: 0] += row.count
        }
        return series
    }
}
