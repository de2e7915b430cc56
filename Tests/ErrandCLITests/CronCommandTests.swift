import Foundation
import Testing

/// `errand cron next` against every reference case in `Tests/Fixtures/cron` (from ccronexpr's and robfig/cron's
/// test suites), through the binary.
@Suite(.timeLimit(.minutes(5))) struct CronCommandTests {
    struct NextCase: Decodable {
        let expr: String
        let from: String
        let next: String
        let tz: String
    }

    struct Others: Decodable {
        struct Invalid: Decodable { let expr: String }
        struct Never: Decodable { let expr: String, from: String }
        let invalid: [Invalid]
        let never_fires: [Never]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/cron")

    static func load<T: Decodable>(_ file: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtures.appendingPathComponent(file)))
    }

    /// Runs `errand cron next OPTIONS -- EXPR` (no store involved; `--` lets an expression start with `-`).
    static func cron(_ expression: String, _ options: String...) async throws -> ErrandBinary.Result {
        try await ErrandBinary(directory: URL(fileURLWithPath: NSTemporaryDirectory())).runBare(["cron", "next"] + options + ["--", expression])
    }

    @Test func everyReferenceCaseGivesTheReferenceAnswer() async throws {
        let cases = try Self.load("next_cases.json", as: [NextCase].self) + Self.load("dst_cases.json", as: [NextCase].self)
        #expect(cases.count >= 52)
        for reference in cases {
            let result = try await Self.cron(reference.expr, "--from", reference.from, "--count", "1", "--tz", reference.tz)
            #expect(result.status == 0, "\(reference.expr): \(result.stderr)")
            // The reference answer is a reading of the zone's clock; ours adds the offset.
            #expect(result.stdout.hasPrefix(reference.next), "\(reference.expr) from \(reference.from) \(reference.tz): \(result.stdout)")
        }
    }

    @Test func invalidExpressionsExitTwoNamingTheField() async throws {
        for invalid in try Self.load("other_cases.json", as: Others.self).invalid {
            let result = try await Self.cron(invalid.expr)
            #expect(result.status == 2, "\(invalid.expr) was accepted: \(result.stdout)")
            #expect(result.stderr.contains("field "), "\(invalid.expr): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let result = try await Self.cron("0 61 * * * *")
        #expect(result.stderr.contains(#"field 2 "61": minute must be 0-59"#), "\(result.stderr)")
    }

    @Test func aScheduleThatNeverFiresSaysSoAndExitsOne() async throws {
        for never in try Self.load("other_cases.json", as: Others.self).never_fires {
            let result = try await Self.cron(never.expr, "--from", never.from)
            #expect(result.status == 1)
            #expect(result.stderr.contains("does not fire within 50 years"), "\(result.stderr)")
        }
    }

    @Test func countAndOffsetsArePrinted() async throws {
        let result = try await Self.cron("@every 1h30m", "--from", "2026-01-01T00:10:00+01:00", "--count", "3", "--tz", "Europe/Paris")
        #expect(result.stdout.split(separator: "\n") == ["2026-01-01T01:00:00+01:00", "2026-01-01T02:30:00+01:00", "2026-01-01T04:00:00+01:00"])
        let bad = try await Self.cron("@daily", "--tz", "Mars/Base")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown time zone"))
    }
}
