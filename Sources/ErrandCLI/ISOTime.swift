import ErrandCore
import Foundation

/// ISO 8601 times as the CLI reads and prints them: to the second, with the zone's offset (`Z` for UTC).
enum ISOTime {
    /// `2026-01-31T09:30:00+01:00` in `zone`.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: zone, from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let suffix = offset == 0 ? "Z" : "\(sign)\(two(abs(offset) / 3600)):\(two(abs(offset) / 60 % 60))"
        return
            "\(four(parts.year ?? 0))-\(two(parts.month ?? 0))-\(two(parts.day ?? 0))T\(two(parts.hour ?? 0)):\(two(parts.minute ?? 0)):\(two(parts.second ?? 0))\(suffix)"
    }

    /// Reads an instant (`2026-01-31T09:30:00Z`, `…+01:00`, with or without fractional seconds), or a reading of
    /// `zone`'s clock without an offset (`2026-01-31T09:30:00`; in a repeated hour, the first).
    static func parse(_ text: String, in zone: TimeZone) -> Date? {
        if let instant = TaskSpec.parseDate(text) { return instant }
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

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func four(_ value: Int) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }
}
