import ErrandCore
import Foundation
import Testing

/// `JSONSyntax` accepts exactly one JSON value (RFC 8259), as the stores require of a task's arguments.
@Suite(.timeLimit(.minutes(1))) struct JSONSyntaxTests {
    static let valid = [
        "{}", "[]", "null", "true", "false", "0", "-0", "12", "-1.5e+10", "1E-2", "\"\"", "\"a\\\"b\\\\c\\/\\n\\u00e9\"",
        " { \"a\" : [1, 2, {\"b\": null}] } ", "\"é😀\"", "[[[[]]]]", "123456789012345678901234567890",
    ]
    static let invalid = [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "'a'", "01", "1.", ".5", "1e", "+1", "tru", "nul", "\"\\x\"",
        "\"\\u12\"", "\"a", "[1] [2]", "{} x", "\"tab\there\"", "NaN", "[1 2]", "{\"a\" 1}",
    ]

    @Test(arguments: valid)
    func acceptsAJSONValue(_ text: String) {
        #expect(JSONSyntax.isValid(text))
        #expect(JSONText.problem(text) == nil)
    }

    @Test(arguments: invalid)
    func refusesWhatIsNotOneJSONValue(_ text: String) {
        #expect(!JSONSyntax.isValid(text))
        #expect(JSONText.problem(text)?.hasPrefix("is not valid JSON") == true)
    }

    /// What stores read back: everything Foundation's reader took (Errand's check before 2026-12), trailing commas
    /// included, so that no row an older Errand stored turns into a dead letter.
    @Test func storesReadBackWhatFoundationAccepted() throws {
        for text in Self.valid + Self.invalid {
            let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
            if foundation { #expect(JSONSyntax.isValid(text, allowingTrailingCommas: true), "\(text)") }
        }
        #expect(JSONSyntax.isValid("[1,]", allowingTrailingCommas: true) && JSONSyntax.isValid(#"{"a":1,}"#, allowingTrailingCommas: true))
        #expect(!JSONSyntax.isValid("[1,,]", allowingTrailingCommas: true) && !JSONSyntax.isValid("[,]", allowingTrailingCommas: true))
    }

    @Test func nestingStopsAtItsLimit() {
        let deep = String(repeating: "[", count: JSONSyntax.maxDepth) + String(repeating: "]", count: JSONSyntax.maxDepth)
        #expect(JSONSyntax.isValid(deep))
        let deeper = "[" + deep + "]"
        #expect(!JSONSyntax.isValid(deeper))
    }
}
