/// Go's `time.Duration` as text, the form pftaskqueue's flags and tasques' JSON use: read as `time.ParseDuration`
/// reads it (`30s`, `1m30s`, `1.5h`, `500ms`, `0`), written as `Duration.String()` writes it (`30m0s`, `1h0m0s`,
/// `1.5s`, `500ms`, `0s`).
public enum GoDuration {
    /// The seconds `text` stands for, or `nil` when it is not a Go duration: a sequence of decimal numbers with
    /// units (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), optionally signed, or `0`; longer than ``longest`` is not one
    /// (Go's `invalid duration`).
    public static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return total <= longest ? sign * total : nil
    }

    /// Units, longest first so that `ms` is matched before `m`.
    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// The longest duration Go has (`math.MaxInt64` nanoseconds), in seconds: a longer one is written as this.
    public static let longest = 9_223_372_036.854775

    /// `seconds` as Go writes a duration, to the microsecond: `1h0m0s`, `30m0s`, `1m30s`, `1.5s`, `500ms`, `0s`.
    /// Beyond ``longest`` (or not finite) it is ``longest``, as no Go duration is longer.
    public static func text(_ seconds: Double) -> String {
        // Go's longest duration in whole microseconds (math.MaxInt64 ns / 1000).
        let longestMicros: Int64 = 9_223_372_036_854_775
        let micros = abs(seconds) < longest ? Int64((abs(seconds) * 1e6).rounded()) : longestMicros
        let sign = seconds < 0 && micros > 0 ? "-" : ""
        if micros == 0 { return "0s" }
        if micros < 1000 { return "\(sign)\(micros)µs" }
        if micros < 1_000_000 { return sign + decimal(micros, scale: 1000) + "ms" }
        let hours = micros / 3_600_000_000
        let minutes = micros / 60_000_000 % 60
        let rest = micros % 60_000_000
        var out = sign
        if hours > 0 { out += "\(hours)h" }
        if hours > 0 || minutes > 0 { out += "\(minutes)m" }
        return out + decimal(rest, scale: 1_000_000) + "s"
    }

    /// `value / scale` with the fraction's trailing zeros dropped: 1500 at 1000 is `1.5`.
    private static func decimal(_ value: Int64, scale: Int64) -> String {
        let whole = value / scale
        let fraction = value % scale
        guard fraction > 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: String(scale).count - 1 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
