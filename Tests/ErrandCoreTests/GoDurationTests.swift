import ErrandCore
import Testing

/// Go's durations as pftaskqueue's flags and tasques' JSON write them, read and written as Go does.
@Suite struct GoDurationTests {
    @Test(arguments: [
        ("30m", 1800.0), ("1m30s", 90), ("1.5h", 5400), ("500ms", 0.5), ("0", 0), ("2h45m0.5s", 9900.5), ("-1s", -1), ("250us", 0.00025),
    ])
    func readsGoDurations(text: String, seconds: Double) {
        #expect(GoDuration.seconds(text) == seconds)
    }

    @Test(arguments: ["", "30", "1d", "m", "1.s.", "s1", "+", "2562048h", "99999999999999999999h"])
    func refusesWhatGoRefuses(text: String) {
        #expect(GoDuration.seconds(text) == nil)
    }

    /// `time.Duration.String()`'s output for the same values.
    @Test(arguments: [
        (1800.0, "30m0s"), (3600, "1h0m0s"), (90, "1m30s"), (1.5, "1.5s"), (0.5, "500ms"), (0, "0s"), (9900.5, "2h45m0.5s"),
        (0.0015, "1.5ms"), (0.00025, "250µs"), (-90, "-1m30s"), (10, "10s"), (1e300, "2562047h47m16.854775s"),
        (.infinity, "2562047h47m16.854775s"),
    ])
    func writesAsGoDoes(seconds: Double, text: String) {
        #expect(GoDuration.text(seconds) == text)
    }
}
