public import Foundation

/// A parsed cron schedule: 6 fields (second first) or 5 (minute first), a macro (`@daily`, …) or `@every 1h30m`.
///
/// Dialect (Vixie cron with seconds, as in ccronexpr and robfig/cron): ranges `a-b`, steps `*/n` `a/n` `a-b/n`,
/// lists, month and weekday names (case-insensitive), `?` for `*` in the day fields, weekday 0 and 7 both Sunday;
/// day of month also takes `L`, `L-n`, `nW` and `LW`, day of week `nL` (last such weekday) and `n#k` (kth such
/// weekday). When both day fields are restricted a day matching either fires; when one starts with `*` or `?`
/// (including `*/5`), a day must match both.
///
/// Time zones: a schedule fires at every instant at which the zone's clock shows a matching time. A time that a
/// spring-forward jump skips never shows, so it does not fire that day; a time that a fall-back shows twice fires
/// twice. `@every D` fires at whole multiples of D since 1970-01-01T00:00:00Z, whatever the zone, so every node
/// computes the same slots.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    enum Rule: Sendable, Hashable {
        case calendar(Fields)
        case every(seconds: Int64)
    }

    struct Fields: Sendable, Hashable {
        var second = CronField()
        var minute = CronField()
        var hour = CronField()
        var day = CronField()
        var month = CronField()
        var weekday = CronField()
        /// `L` (0) and `L-n` (n): days before the month's last.
        var lastDayOffsets: Set<Int> = []
        /// `nW`: the weekday nearest the nth.
        var nearestWeekdays: Set<Int> = []
        /// `LW`: the month's last weekday (Monday to Friday).
        var lastWeekdayOfMonth = false
        /// `dL`: bit d set for the last d-weekday of the month.
        var lastWeekdays: UInt64 = 0
        /// `d#k` as d * 10 + k.
        var nthWeekdays: Set<Int> = []
    }

    /// The expression as given.
    public let expression: String
    let rule: Rule

    /// Parses `expression`.
    /// - Throws: ``CronError`` naming the field and the text at fault.
    public init(_ expression: String) throws(CronError) {
        self.expression = expression
        rule = try Self.parseRule(expression)
    }

    public var description: String { expression }

    /// How far ahead ``next(after:in:)`` looks before deciding that a schedule never fires (Feb 30, or June 31).
    public static let horizonYears = 50

    /// The first fire time strictly after `date`, or `nil` if the schedule does not fire within ``horizonYears``.
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        let after = Int64(date.timeIntervalSince1970.rounded(.down))
        switch rule {
        case .every(let seconds):
            let (slot, _) = after.dividedRoundingDown(by: seconds)
            return Date(timeIntervalSince1970: Double((slot + 1) * seconds))
        case .calendar(let fields):
            return fields.next(after: after, in: zone).map { Date(timeIntervalSince1970: Double($0)) }
        }
    }

    /// The next `count` fire times after `date` (fewer if the schedule stops firing within the horizon).
    public func next(_ count: Int, after date: Date, in zone: TimeZone) -> [Date] {
        var times: [Date] = []
        var from = date
        while times.count < count, let next = next(after: from, in: zone) {
            times.append(next)
            from = next
        }
        return times
    }
}

extension CronSchedule.Fields {
    /// Seconds since 1970 of the first matching instant after `after` (whole seconds), in `zone`.
    func next(after: Int64, in zone: TimeZone) -> Int64? {
        let before = Self.offset(zone, at: after - 86_400)
        let later = Self.offset(zone, at: after + 86_400)
        // Near a transition the clock's readings are not in instant order: look back by the size of the jump, and
        // once a candidate is found, on by the same amount, for an earlier instant.
        let margin = Int64(abs(later - before))
        var wall = WallTime(seconds: after + Int64(Self.offset(zone, at: after)) - margin)
        var best: Int64?
        var bestWall: Int64?
        while let match = nextWall(atOrAfter: wall) {
            if let bestWall, match.seconds > bestWall + margin { break }
            for instant in Self.instants(of: match, in: zone) where instant > after {
                if best.map({ instant < $0 }) ?? true {
                    best = instant
                    bestWall = match.seconds
                }
            }
            if best != nil && margin == 0 { break }
            wall = WallTime(seconds: match.seconds + 1)
        }
        return best
    }

    /// The instants at which `zone`'s clock shows `wall`: none in a spring-forward gap, two in a fall-back overlap.
    static func instants(of wall: WallTime, in zone: TimeZone) -> [Int64] {
        let local = wall.seconds
        var result: [Int64] = []
        for offset in Set([offset(zone, at: local - 86_400), offset(zone, at: local + 86_400)]).sorted(by: >) {
            let instant = local - Int64(offset)
            if Self.offset(zone, at: instant) == offset { result.append(instant) }
        }
        return result.sorted()
    }

    static func offset(_ zone: TimeZone, at seconds: Int64) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
    }

    /// The first matching reading at or after `start`, within the horizon.
    func nextWall(atOrAfter start: WallTime) -> WallTime? {
        var t = start
        let limit = start.year + CronSchedule.horizonYears
        func nextDay() {
            t.day += 1
            (t.hour, t.minute, t.second) = (0, 0, 0)
        }
        while t.year <= limit {
            if !month.contains(t.month) {
                if let found = month.next(atOrAbove: t.month + 1), found <= 12 {
                    t = WallTime(year: t.year, month: found, day: 1)
                } else {
                    t = WallTime(year: t.year + 1, month: month.first ?? 1, day: 1)
                }
                continue
            }
            if t.day > t.daysInMonth {
                t = t.month == 12 ? WallTime(year: t.year + 1, month: 1, day: 1) : WallTime(year: t.year, month: t.month + 1, day: 1)
                continue
            }
            guard dayMatches(t) else {
                nextDay()
                continue
            }
            guard let hour = hour.next(atOrAbove: t.hour), hour <= 23 else {
                nextDay()
                continue
            }
            if hour != t.hour { (t.hour, t.minute, t.second) = (hour, 0, 0) }
            guard let minute = minute.next(atOrAbove: t.minute), minute <= 59 else {
                (t.hour, t.minute, t.second) = (t.hour + 1, 0, 0)
                if t.hour > 23 { nextDay() }
                continue
            }
            if minute != t.minute { (t.minute, t.second) = (minute, 0) }
            guard let second = second.next(atOrAbove: t.second), second <= 59 else {
                (t.minute, t.second) = (t.minute + 1, 0)
                if t.minute > 59 { (t.hour, t.minute) = (t.hour + 1, 0) }
                if t.hour > 23 { nextDay() }
                continue
            }
            t.second = second
            return t
        }
        return nil
    }

    /// Vixie cron: when both day fields are restricted a day matching either fires; when one starts with `*` or `?`
    /// (including `*/2`), a day must match both (so `*/2` still means odd days, and `*` lets the other decide).
    func dayMatches(_ t: WallTime) -> Bool {
        if (day.restricted || hasDaySpecials) && (weekday.restricted || hasWeekdaySpecials) {
            return dayOfMonthMatches(t) || dayOfWeekMatches(t)
        }
        return dayOfMonthMatches(t) && dayOfWeekMatches(t)
    }

    private var hasDaySpecials: Bool { !lastDayOffsets.isEmpty || !nearestWeekdays.isEmpty || lastWeekdayOfMonth }
    private var hasWeekdaySpecials: Bool { lastWeekdays != 0 || !nthWeekdays.isEmpty }

    private func dayOfMonthMatches(_ t: WallTime) -> Bool {
        let last = t.daysInMonth
        if day.contains(t.day) || lastDayOffsets.contains(last - t.day) { return true }
        if lastWeekdayOfMonth, t.day == Self.nearestWeekday(to: last, in: t) { return true }
        return nearestWeekdays.contains { $0 <= last && Self.nearestWeekday(to: $0, in: t) == t.day }
    }

    private func dayOfWeekMatches(_ t: WallTime) -> Bool {
        let weekday = t.weekday
        if self.weekday.contains(weekday) { return true }
        if lastWeekdays & (1 << UInt64(weekday)) != 0, t.day + 7 > t.daysInMonth { return true }
        return nthWeekdays.contains(weekday * 10 + (t.day - 1) / 7 + 1)
    }

    /// The Monday-to-Friday day nearest `day` in `t`'s month, never leaving the month.
    static func nearestWeekday(to day: Int, in t: WallTime) -> Int {
        let weekday = WallTime(year: t.year, month: t.month, day: day).weekday
        switch weekday {
        case 6: return day == 1 ? 3 : day - 1  // Saturday: Friday before, or Monday after the 1st
        case 0: return day == t.daysInMonth ? day - 2 : day + 1  // Sunday: Monday after, or Friday before the last
        default: return day
        }
    }
}
