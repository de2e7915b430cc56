import ErrandCore
import Foundation
import Testing

/// The hand-written JSON that stores pass as one parameter per batch must parse back to exactly what went in.
@Suite(.timeLimit(.minutes(5))) struct JSONBuilderTests {
    @Test(arguments: [
        "plain", "", "quote \" and backslash \\", "lines\nand\ttabs\r", "control \u{01}\u{1f}", "é ü 日本 🚀", "/slash/",
    ])
    func stringsRoundTrip(_ value: String) throws {
        var json = JSONText.Builder()
        json.array([value, "second"]) { json, element in
            json.field("s", element)
            json.field("n", Int64(-42))
            json.field("missing", nil as String?)
            json.field("i", 7)
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["s"] as? String == value)
        #expect(parsed[1]["s"] as? String == "second")
        #expect(parsed[0]["n"] as? Int == -42)
        #expect(parsed[0]["missing"] is NSNull)
        #expect(parsed[0]["i"] as? Int == 7)
    }

    @Test func anEmptyArrayIsValidJSON() {
        var json = JSONText.Builder()
        json.array([Int]()) { _, _ in }
        #expect(json.text == "[]")
    }
}
