import ErrandTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The dashboard in a real browser (chromium through chromedriver) against a real `errand serve` on a real port.
/// Each test writes screenshots of what it checked to ``Browser/screenshots``.
@Suite(.serialized, .timeLimit(.minutes(5)), .tags(.realTime)) struct DashboardBrowserTests {
    static let adminToken = "dashboard-admin-token-0123456789"
    static let readToken = "dashboard-read-token-0123456789"

    /// A server on a temporary database, its API and a browser; both stopped afterwards.
    static func withDashboard(
        _ extra: [String] = [],
        environment: [String: String] = [:],
        _ body: (ErrandBinary, ServeAPI, Browser) async throws -> Void
    ) async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let serve = try errand.serve(extra, environment: environment)
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let browser = try await Browser.launch()
            do {
                try await body(errand, ServeAPI(url: url, token: environment.isEmpty ? nil : adminToken), browser)
            } catch {
                _ = try? await browser.screenshot("failure-\(UUID().uuidString.prefix(8))")
                await browser.close()
                throw error
            }
            await browser.close()
        }
    }

    @Test func aTaskThatFailedTwiceListsItsThreeAttemptsAndItsArgumentsByteForByte() async throws {
        try await Self.withDashboard { _, api, browser in
            let arguments = #"{"big": 12345678901234567890, "exact": 0.10000000000000000555, "text": "é\u00e9"}"#
            let body = #"{"handler": "browser.flaky", "arguments": \#(arguments), "retry": {"max_attempts": 3, "delay": 0}}"#
            let id = try #require(try await api.object("POST", "/v1/tasks", body)["id"] as? String)
            for (number, outcome) in [(1, "fail"), (2, "fail"), (3, "complete")] {
                let claimed = try await api.object("POST", "/v1/claims", #"{"worker": "browser-w", "handlers": ["browser.flaky"], "max": 1}"#)
                let task = try #require((claimed["tasks"] as? [[String: Any]])?.first, "attempt \(number) was not claimed")
                #expect(task["attempt"] as? Int == number)
                let finish =
                    outcome == "fail"
                    ? #"{"worker": "browser-w", "attempt": \#(number), "message": "boom \#(number)"}"#
                    : #"{"worker": "browser-w", "attempt": \#(number), "result": {"ok": 98765432109876543210}}"#
                _ = try await api.object("POST", "/v1/tasks/\(id)/\(outcome)", finish)
            }

            try await browser.open(api.url + "/#/task/\(id)")
            try await browser.wait(for: ##"document.querySelectorAll("#attempts tbody tr").length === 3"##, "three attempts")
            let rows = try #require(
                try await browser.run(
                    ##"return [...document.querySelectorAll("#attempts tbody tr")].map((row) => [...row.cells].map((cell) => cell.textContent));"##
                ) as? [[String]]
            )
            #expect(rows.map { $0[0] } == ["1", "2", "3"], "attempts in order: \(rows)")
            #expect(rows.map { $0[4] } == ["failed", "failed", "succeeded"], "outcomes: \(rows)")
            #expect(rows.map { $0[5] } == ["boom 1", "boom 2", ""], "messages: \(rows)")
            #expect(rows.allSatisfy { $0[1] == "browser-w" })
            let shown = try await browser.run(#"return document.querySelector('pre[aria-label="arguments"]').textContent"#) as? String
            #expect(shown == arguments, "the arguments as shown: \(shown ?? "none")")
            let result = try await browser.run(#"return document.querySelector('pre[aria-label="result"]').textContent"#) as? String
            #expect(result == #"{"ok": 98765432109876543210}"#)
            #expect(try await browser.run(##"return document.querySelector("#task h2 .badge").textContent"##) as? String == "completed")
            try await browser.screenshot("task")

            // Everything the page asked for came from its own origin, and the page was served with its policy.
            let requested = try await browser.requestedURLs()
            #expect(requested.contains { $0.hasSuffix("/dashboard/app.js") } && requested.contains { $0.contains("/v1/tasks/\(id)/attempts") })
            let foreign = requested.filter { !$0.hasPrefix(api.url + "/") }
            #expect(foreign.isEmpty, "requests outside the page's origin: \(foreign)")
            let (_, response) = try await URLSession.shared.data(from: try #require(URL(string: api.url + "/")))
            let policy = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Security-Policy") ?? ""
            #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"), "policy: \(policy)")
        }
    }
}
