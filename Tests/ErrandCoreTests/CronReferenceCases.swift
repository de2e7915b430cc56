import Foundation

/// The reference cases in `Tests/Fixtures/cron` (copied from `../shared/cron`: facts from ccronexpr's and
/// robfig/cron's test suites).
struct CronReferenceCase: Decodable, Sendable, CustomStringConvertible {
    let source: String
    let expr: String
    let from: String
    let next: String
    let tz: String

    var description: String { "\(expr) from \(from) \(tz)" }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/cron")

    static func load(_ file: String) -> [CronReferenceCase] {
        (try? JSONDecoder().decode([CronReferenceCase].self, from: Data(contentsOf: directory.appendingPathComponent(file)))) ?? []
    }

    struct Others: Decodable, Sendable {
        struct Invalid: Decodable, Sendable { let expr: String }
        struct Equivalent: Decodable, Sendable { let a: String, b: String }
        struct Never: Decodable, Sendable { let expr: String, from: String }
        let invalid: [Invalid]
        let equivalent: [Equivalent]
        let never_fires: [Never]
    }

    static func others() throws -> Others {
        try JSONDecoder().decode(Others.self, from: Data(contentsOf: directory.appendingPathComponent("other_cases.json")))
    }
}
