extension CronSchedule {
    /// Macros and the calendar expressions they stand for (6 fields, seconds first).
    static let macros: [String: String] = [
        "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *", "@weekly": "0 0 0 * * 0",
        "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
    ]

    static func parseRule(_ text: String) throws(CronError) -> Rule {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("@") {
            let words = trimmed.split(whereSeparator: \.isWhitespace)
            let macro = words[0].lowercased()
            if macro == "@every" {
                guard words.count == 2 else { throw CronError(text: trimmed, reason: "@every takes one duration, such as 90s or 1h30m") }
                return .every(seconds: try parseDuration(words[1]))
            }
            guard words.count == 1, let expansion = macros[macro] else {
                throw CronError(
                    text: String(words[0]),
                    reason: "unknown macro; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every"
                )
            }
            return .calendar(try parseFields(expansion.split(separator: " "), offset: 0))
        }
        let fields = trimmed.split(whereSeparator: \.isWhitespace)
        switch fields.count {
        case 6: return .calendar(try parseFields(fields, offset: 0))
        // Five fields: minute first; the second is 0. Field numbers in errors stay as the user wrote them.
        case 5: return .calendar(try parseFields(["0"] + fields, offset: -1))
        default:
            throw CronError(reason: "expected 5 fields (minute hour day month weekday) or 6 (second first), got \(fields.count)")
        }
    }

    /// `1h30m`, `90s`, `2h`, `1d`: whole seconds, at least one.
    static func parseDuration(_ text: Substring) throws(CronError) -> Int64 {
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            let unit: Int64? =
                switch character {
                case "d": 86_400
                case "h": 3600
                case "m": 60
                case "s": 1
                default: nil
                }
            guard let unit, let value = Int64(number) else {
                throw CronError(text: "@every \(text)", reason: "duration must be like 90s, 15m, 1h30m or 1d (whole seconds)")
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow, total <= Int64.max - product else { throw CronError(text: "@every \(text)", reason: "duration is too long") }
            total += product
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty, total >= 1 else {
            throw CronError(text: "@every \(text)", reason: "duration must be like 90s, 15m, 1h30m or 1d, and at least 1s")
        }
        return total
    }

    /// Six fields, seconds first; `offset` is added to field numbers in errors (-1 for a 5-field expression).
    private static func parseFields(_ fields: [Substring], offset: Int) throws(CronError) -> Fields {
        func position(_ index: Int) -> Int { index + 1 + offset }
        var result = Fields()
        result.second = try plain(fields[0], .second, position(0))
        result.minute = try plain(fields[1], .minute, position(1))
        result.hour = try plain(fields[2], .hour, position(2))
        result.month = try plain(fields[4], .month, position(4))
        try parseDayOfMonth(fields[3], position(3), into: &result)
        try parseDayOfWeek(fields[5], position(5), into: &result)
        return result
    }

    private static func plain(_ text: Substring, _ kind: CronField.Kind, _ field: Int) throws(CronError) -> CronField {
        var result = CronField()
        result.restricted = !(text.hasPrefix("*") || text.hasPrefix("?"))
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            result.bits |= try kind.parse(part, field: field, whole: String(text))
        }
        return result
    }

    /// Day of month, with `L` (last day), `L-n` (n days before it), `nW` (weekday nearest the nth) and `LW`.
    private static func parseDayOfMonth(_ text: Substring, _ field: Int, into result: inout Fields) throws(CronError) {
        let whole = String(text)
        result.day.restricted = !(text.hasPrefix("*") || text.hasPrefix("?"))
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let upper = part.uppercased()
            if upper == "L" {
                result.lastDayOffsets.insert(0)
            } else if upper == "LW" {
                result.lastWeekdayOfMonth = true
            } else if upper.hasPrefix("L-") {
                guard let days = Int(upper.dropFirst(2)), (0...30).contains(days) else {
                    throw CronError(field: field, text: whole, reason: "day of month: \"\(part)\" must be L-n with n 0-30")
                }
                result.lastDayOffsets.insert(days)
            } else if upper.hasSuffix("W") {
                guard let day = Int(upper.dropLast()), (1...31).contains(day) else {
                    throw CronError(field: field, text: whole, reason: "day of month: \"\(part)\" must be nW with n 1-31")
                }
                result.nearestWeekdays.insert(day)
            } else {
                result.day.bits |= try CronField.Kind.dayOfMonth.parse(part, field: field, whole: whole)
            }
        }
    }

    /// Day of week, with `nL` (last such weekday of the month) and `n#k` (the kth such weekday).
    private static func parseDayOfWeek(_ text: Substring, _ field: Int, into result: inout Fields) throws(CronError) {
        let whole = String(text)
        let kind = CronField.Kind.dayOfWeek
        result.weekday.restricted = !(text.hasPrefix("*") || text.hasPrefix("?"))
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            if let hash = part.firstIndex(of: "#") {
                let weekday = try kind.value(part[..<hash], field: field, whole: whole) % 7
                guard let nth = Int(part[part.index(after: hash)...]), (1...5).contains(nth) else {
                    throw CronError(field: field, text: whole, reason: "day of week: \"\(part)\" must be d#k with k 1-5")
                }
                result.nthWeekdays.insert(weekday * 10 + nth)
            } else if part.count > 1, part.last == "L" || part.last == "l" {
                result.lastWeekdays |= 1 << UInt64(try kind.value(part.dropLast(), field: field, whole: whole) % 7)
            } else {
                var bits = try kind.parse(part, field: field, whole: whole)
                if bits & (1 << 7) != 0 { bits = (bits & ~(1 << 7)) | 1 }  // 7 is Sunday, as 0
                result.weekday.bits |= bits
            }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
