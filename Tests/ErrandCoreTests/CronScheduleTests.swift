import ErrandCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct CronScheduleTests {
    static let utc = TimeZone(identifier: "UTC")!

    /// A wall-clock reading `2012-07-01T09:53:50` in `zone`, taken at its first occurrence.
    static func wall(_ text: String, _ zone: TimeZone) throws -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = text.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        try #require(parts.count == 6, "not a wall time: \(text)")
        var components = DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5])
        components.timeZone = zone
        let date = try #require(calendar.date(from: components))
        // Foundation picks the later instant in a repeated hour; the reference cases mean the earlier one.
        let earlier = date.addingTimeInterval(-3600)
        if calendar.dateComponents(in: zone, from: earlier).hour == parts[3], calendar.dateComponents(in: zone, from: earlier).minute == parts[4] {
            return earlier
        }
        return date
    }

    static func next(_ expression: String, from: String, zone: TimeZone = utc) throws -> Date? {
        try CronSchedule(expression).next(after: try wall(from, zone), in: zone)
    }

    /// What `zone`'s clock shows at `date`, as `2012-07-01T09:53:50`.
    static func reading(_ date: Date, _ zone: TimeZone) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: zone, from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day))T\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }

    /// The case's answer: the first fire time after `from` shows `next` on the zone's clock.
    static func check(_ reference: CronReferenceCase) throws {
        let zone = try #require(TimeZone(identifier: reference.tz))
        let from = try wall(reference.from, zone)
        let next = try #require(try CronSchedule(reference.expr).next(after: from, in: zone), "\(reference) never fires")
        #expect(next > from)
        #expect(reading(next, zone) == reference.next, "\(reference.source): \(reference)")
    }

    @Test(arguments: CronReferenceCase.load("next_cases.json"))
    func referenceNextCases(_ reference: CronReferenceCase) throws {
        try Self.check(reference)
    }

    @Test func theReferenceCasesAreThere() throws {
        #expect(CronReferenceCase.load("next_cases.json").count >= 49)
        #expect(CronReferenceCase.load("dst_cases.json").count == 3)
        #expect(try CronReferenceCase.others().invalid.count >= 9)
    }

    /// Around America/New_York's DST changes: a time skipped by spring-forward does not fire that day (the case's
    /// Mar 11 02:30 waits a year); a time shown twice at fall-back fires at both (from 01:45 EDT the next 01:30 is
    /// the EST one, an hour later).
    @Test(arguments: CronReferenceCase.load("dst_cases.json"))
    func daylightSavingTimeReferenceCases(_ reference: CronReferenceCase) throws {
        try Self.check(reference)
    }

    @Test func aSlotRepeatedAtFallBackFiresTwiceAndOneSkippedAtSpringForwardNotAtAll() throws {
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        let daily = try CronSchedule("0 30 1 * * *")
        let fallBack = daily.next(3, after: try Self.wall("2012-11-03T12:00:00", zone), in: zone)
        // Nov 4 01:30 EDT (05:30Z) and 01:30 EST (06:30Z), then Nov 5 01:30 EST.
        #expect(fallBack.map { $0.timeIntervalSince1970 } == [1_352_007_000, 1_352_010_600, 1_352_097_000])
        let springForward = try CronSchedule("0 30 2 * * *").next(2, after: try Self.wall("2012-03-10T12:00:00", zone), in: zone)
        // Mar 11 has no 02:30: Mar 12 and Mar 13 02:30 EDT (06:30Z).
        #expect(springForward.map { $0.timeIntervalSince1970 } == [1_331_533_800, 1_331_620_200])
        let everyMinute = try CronSchedule("0 * * * * *").next(3, after: try Self.wall("2012-03-11T01:58:30", zone), in: zone)
        // 01:59 EST (06:59Z), then 03:00 and 03:01 EDT: the clock jumps, the schedule follows it.
        #expect(everyMinute.map { $0.timeIntervalSince1970 } == [1_331_449_140, 1_331_449_200, 1_331_449_260])
    }

    @Test func invalidReferenceExpressionsAreRefusedNamingTheField() throws {
        for invalid in try CronReferenceCase.others().invalid {
            #expect(throws: CronError.self, "\(invalid.expr)") { try CronSchedule(invalid.expr) }
        }
        #expect(throws: CronError(field: 2, text: "61", reason: "minute must be 0-59")) { try CronSchedule("0 61 * * * *") }
        #expect(throws: CronError(field: 1, text: "61", reason: "minute must be 0-59")) { try CronSchedule("61 * * * *") }
        #expect(throws: CronError(field: 5, text: "13", reason: "month must be 1-12")) { try CronSchedule("0 0 0 25 13 ?") }
        #expect((try? CronSchedule("0 0 0 25 13 ?")) == nil)
    }

    @Test(arguments: [
        ("* * * *", "expected 5 fields"), ("@fortnightly", "unknown macro"), ("@every", "one duration"), ("@every 0s", "at least 1s"),
        ("@every 1.5h", "whole seconds"), ("* * * * * MON-", "not a number"), ("* * * 5-1 * *", "runs backwards"),
        ("* ? * * * *", "is not a number"), ("* * * L-40 * *", "L-n"), ("* * * 0W * *", "nW"), ("* * * * * 1#6", "d#k"),
        ("*/0 * * * * *", "at least 1"), ("1,,2 * * * * *", "not a value"),
    ])
    func malformedExpressionsAreExplained(_ expression: String, _ expected: String) {
        do {
            _ = try CronSchedule(expression)
            Issue.record("\(expression) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(expression): \(error)")
        }
    }

    @Test func equivalentReferenceExpressionsFireAlike() throws {
        let start = try Self.wall("2012-01-01T00:00:00", Self.utc)
        for pair in try CronReferenceCase.others().equivalent {
            let a = try CronSchedule(pair.a).next(20, after: start, in: Self.utc)
            let b = try CronSchedule(pair.b).next(20, after: start, in: Self.utc)
            #expect(a == b && a.count == 20, "\(pair.a) vs \(pair.b)")
        }
    }

    @Test func aScheduleThatNeverFiresSaysSo() throws {
        for never in try CronReferenceCase.others().never_fires {
            #expect(try Self.next(never.expr, from: never.from) == nil)
        }
        #expect(try Self.next("0 0 0 30 2 *", from: "2012-01-01T00:00:00") == nil)
        // Feb 29 falls on a Monday only every 28 years or so: still found.
        #expect(try Self.next("0 0 0 29 2 ?", from: "2012-03-01T00:00:00") == (try Self.wall("2016-02-29T00:00:00", Self.utc)))
    }

    @Test(arguments: [
        ("@yearly", "2012-07-01T09:53:50", "2013-01-01T00:00:00"), ("@annually", "2012-07-01T09:53:50", "2013-01-01T00:00:00"),
        ("@monthly", "2012-07-01T09:53:50", "2012-08-01T00:00:00"), ("@weekly", "2012-07-01T09:53:50", "2012-07-08T00:00:00"),
        ("@daily", "2012-07-01T09:53:50", "2012-07-02T00:00:00"), ("@midnight", "2012-07-01T09:53:50", "2012-07-02T00:00:00"),
        ("@hourly", "2012-07-01T09:53:50", "2012-07-01T10:00:00"), ("*/5 * * * *", "2012-07-01T09:53:50", "2012-07-01T09:55:00"),
        ("30 4 1,15 * 5", "2012-07-01T09:53:50", "2012-07-06T04:30:00"), ("0 0 0 L * ?", "2012-02-10T00:00:00", "2012-02-29T00:00:00"),
        ("0 0 0 L-2 * ?", "2012-02-10T00:00:00", "2012-02-27T00:00:00"), ("0 0 0 15W * ?", "2012-09-01T00:00:00", "2012-09-14T00:00:00"),
        ("0 0 0 1W * ?", "2012-09-01T00:00:00", "2012-09-03T00:00:00"), ("0 0 0 LW * ?", "2012-09-01T00:00:00", "2012-09-28T00:00:00"),
        ("0 0 0 ? * 5L", "2012-09-01T00:00:00", "2012-09-28T00:00:00"), ("0 0 0 ? * MON#2", "2012-09-01T00:00:00", "2012-09-10T00:00:00"),
        ("0 0 12 * * sun", "2012-09-01T00:00:00", "2012-09-02T12:00:00"), ("0 0 0 1 jan-mar/2 *", "2012-02-01T00:00:00", "2012-03-01T00:00:00"),
        ("@every 90s", "2012-07-01T09:53:50", "2012-07-01T09:54:00"), ("@every 1h30m", "2012-07-01T09:53:50", "2012-07-01T10:30:00"),
    ])
    func macrosFiveFieldsAndSpecialDays(_ expression: String, _ from: String, _ expected: String) throws {
        #expect(try Self.next(expression, from: from) == (try Self.wall(expected, Self.utc)))
    }

    @Test func everyFiresOnTheSameSlotsInEveryZone() throws {
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        let schedule = try CronSchedule("@every 1h30m")
        let start = Date(timeIntervalSince1970: 1_000_000_123)
        #expect(schedule.next(5, after: start, in: tokyo) == schedule.next(5, after: start, in: Self.utc))
        #expect(schedule.next(after: start, in: Self.utc)!.timeIntervalSince1970.truncatingRemainder(dividingBy: 5400) == 0)
    }

    @Test func theLatestSlotIsFoundAcrossLongGapsAndShortOnes() throws {
        let monthly = try CronSchedule("@monthly")
        let latestMonth = monthly.latest(
            after: try Self.wall("2020-01-15T00:00:00", Self.utc),
            through: try Self.wall("2026-11-25T10:00:00", Self.utc),
            in: Self.utc
        )
        #expect(latestMonth == (try Self.wall("2026-11-01T00:00:00", Self.utc)))
        let everySecond = try CronSchedule("* * * * * *")
        let through = try Self.wall("2026-11-25T10:00:00", Self.utc).addingTimeInterval(0.5)
        #expect(
            everySecond.latest(after: try Self.wall("2026-01-01T00:00:00", Self.utc), through: through, in: Self.utc)
                == through.addingTimeInterval(-0.5)
        )
        let daily = try CronSchedule("@daily")
        let noon = try Self.wall("2026-11-25T12:00:00", Self.utc)
        #expect(daily.latest(after: noon, through: noon.addingTimeInterval(3600), in: Self.utc) == nil)
        #expect(daily.slots(after: noon, through: noon.addingTimeInterval(3 * 86_400), in: Self.utc, limit: 2).count == 2)
    }
}
