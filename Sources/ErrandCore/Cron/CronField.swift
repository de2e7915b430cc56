/// One field of a cron expression: the set of values it allows, as bits.
struct CronField: Sendable, Hashable {
    /// What a field may hold; the parser follows it.
    struct Kind: Sendable {
        let name: String
        let range: ClosedRange<Int>
        /// Names accepted for values, lowercase, in value order starting at `range.lowerBound` (JAN = 1, SUN = 0).
        var names: [String] = []
        /// `?` allowed (day fields).
        var allowsQuestionMark = false

        static let second = Kind(name: "second", range: 0...59)
        static let minute = Kind(name: "minute", range: 0...59)
        static let hour = Kind(name: "hour", range: 0...23)
        static let dayOfMonth = Kind(name: "day of month", range: 1...31, allowsQuestionMark: true)
        static let month = Kind(
            name: "month",
            range: 1...12,
            names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
        /// 0 and 7 are Sunday.
        static let dayOfWeek = Kind(
            name: "day of week",
            range: 0...7,
            names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
            allowsQuestionMark: true
        )
    }

    /// Bit `v` set when value `v` is allowed.
    var bits: UInt64 = 0
    /// False when the field starts with `*` or `?` (Vixie cron: then the other day field alone decides).
    var restricted = true

    func contains(_ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    /// The smallest allowed value at or above `value`, if any.
    func next(atOrAbove value: Int) -> Int? {
        guard value < 64 else { return nil }
        let rest = bits >> UInt64(value)
        return rest == 0 ? nil : value + rest.trailingZeroBitCount
    }

    /// The smallest allowed value.
    var first: Int? { bits == 0 ? nil : bits.trailingZeroBitCount }
}

extension CronField.Kind {
    /// Reads one value: a number in range or a name.
    func value(_ text: Substring, field: Int, whole: String) throws(CronError) -> Int {
        if let number = Int(text), !text.hasPrefix("+"), !text.hasPrefix("-") {
            guard range.contains(number) else {
                throw CronError(field: field, text: whole, reason: "\(name) must be \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let index = names.firstIndex(of: text.lowercased()) { return range.lowerBound + index }
        let expected = names.isEmpty ? "a number" : "a number or a name (\(names[0].uppercased()), …)"
        throw CronError(field: field, text: whole, reason: "\(name): \"\(text)\" is not \(expected)")
    }

    /// Parses a comma-separated list of values, ranges and steps into bits. `L`, `W` and `#` are read by the caller.
    func parse(_ part: Substring, field: Int, whole: String) throws(CronError) -> UInt64 {
        let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2, !pieces[0].isEmpty else {
            throw CronError(field: field, text: whole, reason: "\(name): \"\(part)\" is not a value, range or step")
        }
        var step = 1
        if pieces.count == 2 {
            guard let parsed = Int(pieces[1]), !pieces[1].hasPrefix("+"), !pieces[1].hasPrefix("-"), parsed >= 1 else {
                throw CronError(field: field, text: whole, reason: "\(name): step \"\(pieces[1])\" must be a whole number of at least 1")
            }
            step = parsed
        }
        var low = range.lowerBound
        var high = range.upperBound
        let base = pieces[0]
        if base == "*" || (base == "?" && allowsQuestionMark) {
            if base == "?" && pieces.count == 2 {
                throw CronError(field: field, text: whole, reason: "\(name): \"?\" takes no step")
            }
        } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
            low = try value(base[..<dash], field: field, whole: whole)
            high = try value(base[base.index(after: dash)...], field: field, whole: whole)
            guard low <= high else {
                throw CronError(field: field, text: whole, reason: "\(name): range \"\(base)\" runs backwards")
            }
        } else {
            low = try value(base, field: field, whole: whole)
            // `a/n` means from a to the end of the range, every n.
            high = pieces.count == 2 ? range.upperBound : low
        }
        var bits: UInt64 = 0
        for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        return bits
    }
}
