public import Foundation

// Errand's one date module: how times are written (``Foundation/Date/iso8601``: UTC with milliseconds) and read —
// strictly as RFC 3339 for the HTTP API (``RFC3339``), leniently as ISO 8601 for configuration files and the CLI
// (``ISOTime``), and as stores keep them (whole milliseconds since 1970).

extension Date {
    /// This time rounded to the nearest whole millisecond, the precision every store keeps.
    public var wholeMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// ISO 8601 text in UTC with milliseconds, e.g. `2026-11-24T23:47:10.123Z`, as messages show times.
    ///
    /// The millisecond is this time's nearest (``millisecondsSince1970``), written from the integer: Foundation's
    /// fractional format truncates the binary fraction, so a time read back from `.306Z` could print as `.305Z`.
    public var iso8601: String {
        let milliseconds = millisecondsSince1970
        let (seconds, fraction) = (milliseconds.floorDivided(by: 1000), milliseconds - milliseconds.floorDivided(by: 1000) * 1000)
        let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// ISO 8601 text in UTC to the second, e.g. `2026-11-24T23:47:10Z` (ScyllaDB's task manager's times).
    public var iso8601Seconds: String {
        formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    /// Milliseconds since 1970, as stores persist times.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The time `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

extension Int64 {
    /// The quotient rounded towards negative infinity (times before 1970 keep a positive millisecond).
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}

/// RFC 3339 date-times, as JSON Schema's `date-time` format means them: `2026-11-25T10:00:00.5+01:00`.
public enum RFC3339 {
    /// The instant `text` names, or `nil` when it is not an RFC 3339 date-time (a leap second counts as :59.999).
    public static func date(_ text: String) -> Date? {
        let shape = /(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))/
        guard let match = text.wholeMatch(of: shape) else { return nil }
        let out = match.output
        guard let year = Int(out.1), let month = Int(out.2), let day = Int(out.3), let hour = Int(out.4), let minute = Int(out.5),
            let second = Int(out.6), (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let components = DateComponents(year: year, month: month, day: day)
        guard let days = calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: year, month: month, day: 1)) ?? Date()),
            days.contains(day), let midnight = calendar.date(from: components)
        else { return nil }
        var offset = 0
        if let sign = out.9, let hours = out.10.flatMap({ Int($0) }), let minutes = out.11.flatMap({ Int($0) }) {
            guard hours <= 23, minutes <= 59 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
        }
        let fraction = out.7.flatMap { Double("0" + $0) } ?? 0
        let seconds = second == 60 ? 59.999 : Double(second) + fraction
        return midnight.addingTimeInterval(Double(hour * 3600 + minute * 60 - offset) + seconds)
    }
}

/// ISO 8601 times as the CLI reads and prints them: to the second, with the zone's offset (`Z` for UTC).
public enum ISOTime {
    /// `2026-01-31T09:30:00+01:00` in `zone`.
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: zone, from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let suffix = offset == 0 ? "Z" : "\(sign)\(two(abs(offset) / 3600)):\(two(abs(offset) / 60 % 60))"
        return
            "\(four(parts.year ?? 0))-\(two(parts.month ?? 0))-\(two(parts.day ?? 0))T\(two(parts.hour ?? 0)):\(two(parts.minute ?? 0)):\(two(parts.second ?? 0))\(suffix)"
    }

    /// Reads an instant (`2026-01-31T09:30:00Z`, `…+01:00`, with or without fractional seconds), or a reading of
    /// `zone`'s clock without an offset (`2026-01-31T09:30:00`; in a repeated hour, the first).
    public static func parse(_ text: String, in zone: TimeZone) -> Date? {
        if let instant = instant(text) { return instant }
        let dateAndTime = text.split(separator: "T", omittingEmptySubsequences: false)
        guard dateAndTime.count == 2 else { return nil }
        let date = dateAndTime[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        let time = dateAndTime[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard date.count == 3, time.count == 3, let year = date[0], let month = date[1], let day = date[2],
            let hour = time[0], let minute = time[1], let second = time[2],
            (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(timeZone: zone, year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let result = calendar.date(from: components), calendar.component(.day, from: result) == day else { return nil }
        // In a repeated hour Foundation picks the later reading; the earlier is meant.
        let earlier = result.addingTimeInterval(-3600)
        let parts = calendar.dateComponents([.hour, .minute, .second], from: earlier)
        return parts.hour == hour && parts.minute == minute && parts.second == second ? earlier : result
    }

    /// Reads an instant in ISO 8601 with or without fractional seconds (`2026-11-24T12:00:00Z`,
    /// `2026-11-24T12:00:00.250+01:00`), as configuration files and the CLI's options write them.
    public static func instant(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func four(_ value: Int) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }
}
