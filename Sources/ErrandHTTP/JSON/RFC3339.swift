import Foundation

/// RFC 3339 date-times, as JSON Schema's `date-time` format means them: `2026-11-25T10:00:00.5+01:00`.
enum RFC3339 {
    /// The instant `text` names, or `nil` when it is not an RFC 3339 date-time (a leap second counts as :59.999).
    static func date(_ text: String) -> Date? {
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
