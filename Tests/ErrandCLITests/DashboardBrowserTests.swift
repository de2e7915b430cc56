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
        config: String? = nil,
        environment: [String: String] = [:],
        _ body: (ErrandBinary, ServeAPI, Browser) async throws -> Void
    ) async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            var arguments = extra
            if let config {
                let file = directory.appendingPathComponent("errand.yaml")
                try config.write(to: file, atomically: true, encoding: .utf8)
                arguments += ["--config", file.path]
            }
            let serve = try errand.serve(arguments, environment: environment)
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            try await Browser.with("\(UUID().uuidString.prefix(8))") { browser in
                try await body(errand, ServeAPI(url: url, token: environment.isEmpty ? nil : adminToken), browser)
            }
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
            // The timeline: created, then each attempt's claim and outcome, then the final state.
            let timeline = try #require(
                try await browser.run(
                    ##"return [...document.querySelectorAll("#timeline tbody tr")].map((row) => [...row.cells].map((cell) => cell.textContent));"##
                ) as? [[String]]
            )
            #expect(
                timeline.map { $0[1] } == ["created", "running", "failed", "running", "failed", "running", "succeeded", "completed"],
                "timeline: \(timeline)"
            )
            #expect(timeline[2][2] == "attempt 1 failed: boom 1" && timeline[5][2] == "attempt 3 claimed by browser-w", "\(timeline)")
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

    @Test func theTaskListFiltersByTagTextAndCreationTimeAndSortsOldestFirst() async throws {
        try await Self.withDashboard { _, api, browser in
            var ids: [String] = []
            for (tags, arguments) in [(#"["mail"]"#, #"{"to": "ann"}"#), (#"["mail"]"#, #"{"to": "bob"}"#), (#"["report"]"#, #"{"to": "bob"}"#)] {
                let body = #"{"handler": "browser.filter", "tags": \#(tags), "arguments": \#(arguments)}"#
                ids.append(try #require(try await api.object("POST", "/v1/tasks", body)["id"] as? String))
                try await Task.sleep(for: .milliseconds(20))
            }
            let created = try #require(try await api.object("GET", "/v1/tasks/\(ids[1])")["created_at"] as? String)
            let shown = "[...document.querySelectorAll('#tasks tbody tr')].map((row) => row.dataset.id)"
            try await browser.open(api.url + "/#/tasks")
            try await browser.wait(for: "document.querySelectorAll('#tasks tbody tr').length === 3", "three tasks")
            // Filter by tag and text from the form: the URL holds the filter, the list and the count follow it.
            try await browser.run(
                """
                const form = document.querySelector('form.filters');
                form.elements.tag.value = 'mail'; form.elements.text.value = '"bob"';
                form.requestSubmit();
                """
            )
            try await browser.wait(
                for: "location.hash.includes('tag=mail') && document.querySelectorAll('#tasks tbody tr').length === 1",
                "one mail to bob"
            )
            #expect(try await browser.run("return \(shown)") as? [String] == [ids[1]])
            #expect(try await browser.run("return document.getElementById('task-count').textContent") as? String == "1 task")
            // Created from the second task's time on, oldest first, from a link.
            let query = "created_after=\(created.replacingOccurrences(of: ":", with: "%3A"))&order=oldest"
            try await browser.open(api.url + "/#/tasks?\(query)")
            try await browser.wait(for: "document.querySelectorAll('#tasks tbody tr').length === 2", "two tasks from the second on")
            #expect(try await browser.run("return \(shown)") as? [String] == [ids[1], ids[2]], "oldest first")
            let form =
                try await browser.run(
                    "const f = document.querySelector('form.filters').elements; return [f.order.value, f.created_after.value !== '']"
                ) as? [Any]
            #expect(form?.first as? String == "oldest" && form?.last as? Bool == true, "the form shows the link's filter: \(form ?? [])")
            // A bulk action takes the same filter: the dialog counts the two.
            try await browser.run("document.getElementById('bulk-cancel').click()")
            try await browser.wait(for: "document.getElementById('bulk-count')?.dataset.count === '2'", "the bulk count of the filter")
            try await browser.screenshot("tasks-filtered")
        }
    }

    @Test func theOverviewChartsTheLastHoursFinishedTasksAndFailureRate() async throws {
        try await Self.withDashboard { _, api, browser in
            let body = #"{"handler": "browser.chart", "retry": {"max_attempts": 1}}"#
            for _ in 0..<4 { _ = try await api.object("POST", "/v1/tasks", body) }
            let claimed = try await api.object("POST", "/v1/claims", #"{"worker": "chart-w", "handlers": ["browser.chart"], "max": 4}"#)
            let ids = try #require((claimed["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
            #expect(ids.count == 4)
            for (index, id) in ids.enumerated() {
                _ = try await api.object(
                    "POST",
                    "/v1/tasks/\(id)/\(index == 0 ? "fail" : "complete")",
                    #"{"worker": "chart-w", "attempt": 1, "message": "done"}"#
                )
            }
            try await browser.open(api.url + "/#/")
            try await browser.wait(for: "document.querySelectorAll('#throughput g[data-total]').length === 60", "sixty minutes of bars")
            // The minutes that finished tasks add up to them: four finished, one failed; the caption says so.
            let bars = try #require(
                try await browser.run(
                    "return [...document.querySelectorAll('#throughput g[data-total]')].map((bar) => [Number(bar.dataset.total), bar.querySelectorAll('rect').length])"
                ) as? [[Int]]
            )
            #expect(bars.map { $0[0] }.reduce(0, +) == 4 && bars.last?[0] ?? 0 >= 1, "bars: \(bars.filter { $0[0] > 0 })")
            let caption = try await browser.run("return document.getElementById('failure-caption').textContent") as? String
            #expect(caption == "25% failed or dead", "caption: \(caption ?? "none")")
            let rates =
                try await browser.run("return [...document.querySelectorAll('#failure-rate circle')].map((point) => Number(point.dataset.rate))")
                as? [Double]
            #expect(!(rates ?? []).isEmpty && (rates ?? []).allSatisfy { (0...1).contains($0) }, "rates: \(rates ?? [])")
            try await browser.screenshot("overview-charts")
        }
    }

    @Test func theWorkersPageShowsTasksHeldAndALostWorkerBeingSalvaged() async throws {
        try await Self.withDashboard { errand, api, browser in
            // A remote worker holds a task: its claim registers it.
            _ = try await api.object("POST", "/v1/tasks", #"{"handler": "browser.remote"}"#)
            let claimed = try await api.object("POST", "/v1/claims", #"{"worker": "remote-7", "handlers": ["browser.remote"], "max": 1}"#)
            #expect((claimed["tasks"] as? [Any])?.count == 1)
            // A registered worker holds one while its handler sleeps; then it dies without a word.
            let sleeper = try errand.script("sleeper.sh", "read -r ws\nsleep 20\n")
            let worker = try errand.serve(
                [
                    "--name", "pod-9", "--queue", "default", "--heartbeat-interval", "0.2", "--heartbeat-expiration", "1", "--salvage-after", "4",
                    "--", sleeper.path,
                ],
                command: "worker"
            )
            defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
            _ = try await errand.ok(["add-task", "default", "-f", "-"], stdin: "payload: a\n")

            try await browser.open(api.url + "/#/workers")
            let cells = "[...document.querySelectorAll('#worker-list tbody tr')].find((row) => row.cells[0].textContent === 'pod-9')?.cells"
            try await browser.wait(
                for: "\(cells)?.[1].textContent === 'running' && \(cells)?.[5].textContent === '1'",
                timeout: 30,
                "pod-9 holding one task"
            )
            let remote =
                "[...document.querySelectorAll('#worker-list tbody tr')].find((row) => row.cells[0].textContent === 'remote-7 (remote)')?.cells"
            try await browser.wait(
                for: "\(remote)?.[1].textContent === 'running' && \(remote)?.[5].textContent === '1'",
                timeout: 10,
                "remote-7 listed"
            )
            let others =
                try await browser.run(
                    "return [...document.querySelectorAll('#lease-holders tbody tr')].map((row) => [...row.cells].map((cell) => cell.textContent))"
                ) as? [[String]]
            #expect(others == [], "lease holders: \(others ?? [])")
            try await browser.screenshot("workers")

            // Lost for the 4 s of --salvage-after, longer than the page's 2 s between reads, then salvaged.
            kill(worker.processIdentifier, SIGKILL)
            try await browser.wait(for: "\(cells)?.[1].textContent === 'lost'", timeout: 10, "pod-9 lost")
            try await browser.wait(
                for: "\(cells)?.[1].textContent === 'salvaged' && \(cells)?.[5].textContent === '0'",
                timeout: 15,
                "pod-9 salvaged"
            )
            let salvager = try await browser.run("return \(cells)[6].textContent") as? String ?? ""
            #expect(!salvager.isEmpty && salvager != "pod-9", "salvaged by: \(salvager)")
            let summary = try await browser.run("return document.getElementById('worker-summary').textContent") as? String ?? ""
            #expect(summary.contains("salvaged 1"), "summary: \(summary)")
        }
    }

    /// An API time (ISO 8601 with milliseconds) as milliseconds since 1970, as the page's `Date.now()` counts.
    static func milliseconds(_ iso: Any?) throws -> Double {
        let text = try #require(iso as? String)
        let date = try #require(try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
        return date.timeIntervalSince1970 * 1000
    }

    /// Signs in on the page's login form with `token` and waits for the role to show.
    static func signIn(_ browser: Browser, at url: String, token: String, role: String) async throws {
        try await browser.open(url + "/")
        try await browser.wait(for: ##"!document.getElementById("login").hidden"##, "the login form")
        try await browser.type("#token", token)
        try await browser.click("#login button")
        try await browser.wait(for: "document.documentElement.dataset.role === '\(role)'", "signed in as \(role)")
    }

    @Test func withAReadTokenEveryActionIsDisabledWithItsReasonAndAForcedWriteIsRefused() async throws {
        let environment = ["ERRAND_HTTP_ADMIN_TOKENS": Self.adminToken, "ERRAND_HTTP_READ_TOKENS": Self.readToken]
        try await Self.withDashboard(environment: environment) { _, api, browser in
            _ = try await api.object("POST", "/v1/queues", #"{"name": "held"}"#)
            // A handler no node runs: the task stays pending, so that it can be cancelled.
            let id = try #require(try await api.object("POST", "/v1/tasks", #"{"handler": "browser.nobody", "queue": "held"}"#)["id"] as? String)
            _ = try await api.object("POST", "/v1/queues/held/suspend")
            try await Self.signIn(browser, at: api.url, token: Self.readToken, role: "read")
            #expect(try await browser.run("return sessionStorage.getItem('errand.token')") as? String == Self.readToken)
            #expect(!(try await browser.url()).contains(Self.readToken), "the token must never be in a URL")

            for (page, ready) in [
                ("#/queues", ##"document.querySelector("#queue-list tr[data-queue=held]")"##),
                ("#/task/\(id)", ##"document.querySelector("#task .actions button")"##),
            ] {
                try await browser.open(api.url + "/" + page)
                try await browser.wait(for: ready, "\(page) to show")
                let buttons = try #require(
                    try await browser.run(
                        "return [...document.querySelectorAll('#page button')].map((b) => [b.textContent, b.disabled, b.title, b.dataset.reason ?? ''])"
                    ) as? [[Any]]
                )
                #expect(!buttons.isEmpty, "\(page) shows no action")
                for button in buttons {
                    #expect(button[1] as? Bool == true, "\(page): \(button[0]) is enabled for a read token")
                    #expect((button[2] as? String)?.contains("admin token") == true, "\(page): \(button[0]) gives no reason")
                }
                try await browser.screenshot(page == "#/queues" ? "read-token-queues" : "read-token-task")
            }
            #expect(try await browser.run("return document.getElementById('role').textContent") as? String == "read only")

            // A write forced from the page's own context, with its token: 403, and nothing changed.
            for (method, path) in [("POST", "/v1/queues/held/resume"), ("POST", "/v1/tasks/\(id)/cancel"), ("DELETE", "/v1/queues/held")] {
                let status = try await browser.runAsync(
                    "const answer = await fetch(arguments[1], { method: arguments[0], headers: { Authorization: `Bearer ${sessionStorage.getItem('errand.token')}` } }); return answer.status;",
                    [method, path]
                )
                #expect(status as? Int == 403, "\(method) \(path) answered \(status ?? "nothing")")
            }
            #expect(try await api.object("GET", "/v1/queues/held")["state"] as? String == "suspended")
            #expect(try await api.object("GET", "/v1/tasks/\(id)")["state"] as? String == "pending")
        }
    }

    @Test func theTimeZoneAndThemePersistAcrossReloadsAndBadgesHaveContrast() async throws {
        try await Self.withDashboard { _, api, browser in
            _ = try await api.object("POST", "/v1/tasks", #"{"handler": "errand.echo", "arguments": 1}"#)
            try await browser.open(api.url + "/#/tasks")
            try await browser.wait(for: "document.querySelector('#tasks tbody tr time')", "a task with times")
            let local = try await browser.run("return document.querySelector('#tasks tbody tr time').textContent") as? String ?? ""
            try await browser.run("const zone = document.getElementById('zone'); zone.value = 'UTC'; zone.dispatchEvent(new Event('change'));")
            try await browser.run("const theme = document.getElementById('theme'); theme.value = 'dark'; theme.dispatchEvent(new Event('change'));")
            try await browser.reload()
            try await browser.wait(for: "document.querySelector('#tasks tbody tr time')", "the tasks after a reload")
            #expect(try await browser.run("return document.documentElement.dataset.theme") as? String == "dark")
            #expect(try await browser.run("return document.getElementById('zone').value") as? String == "UTC")
            let shown = try await browser.run("return document.querySelector('#tasks tbody tr time').textContent") as? String ?? ""
            #expect(shown.hasSuffix("UTC"), "\(shown) (local: \(local))")
            let background = try await browser.run("return getComputedStyle(document.body).backgroundColor") as? String
            #expect(background == "rgb(13, 17, 23)", "the dark theme's background: \(background ?? "none")")
            // A copy of a time gives its ISO 8601 text, whatever the zone shown.
            let copied =
                try await browser.run(
                    """
                    const time = document.querySelector('#tasks tbody tr time');
                    const range = document.createRange(); range.selectNodeContents(time);
                    getSelection().removeAllRanges(); getSelection().addRange(range);
                    const data = new DataTransfer();
                    document.dispatchEvent(new ClipboardEvent('copy', { clipboardData: data, bubbles: true, cancelable: true }));
                    return [data.getData('text/plain'), time.dateTime];
                    """
                ) as? [String]
            #expect(copied?.first == copied?.last && copied?.first?.hasSuffix("Z") == true, "copied: \(copied ?? [])")

            // Every state badge, in both themes: contrast of 4.5:1 or more between its text and its colour.
            for theme in ["dark", "light"] {
                try await browser.run("document.documentElement.dataset.theme = arguments[0]", [theme])
                let ratios = try #require(
                    try await browser.run(
                        """
                        const probe = document.createElement('div');
                        document.body.append(probe);
                        const states = ['scheduled', 'pending', 'running', 'completed', 'failed', 'cancelled', 'dead', 'active',
                          'suspended', 'succeeded', 'lost', 'timeout', 'salvaged'];
                        const channel = (value) => { value /= 255; return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4; };
                        const luminance = (css) => { const [r, g, b] = css.match(/\\d+/g).map(Number); return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
                        const ratios = {};
                        for (const state of states) {
                          const badge = document.createElement('span'); badge.className = `badge state-${state}`; badge.textContent = state;
                          probe.append(badge);
                          const style = getComputedStyle(badge);
                          const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x);
                          ratios[state] = (a + 0.05) / (b + 0.05);
                        }
                        probe.remove();
                        return ratios;
                        """
                    ) as? [String: Double]
                )
                for (state, ratio) in ratios { #expect(ratio >= 4.5, "\(theme): the \(state) badge's contrast is \(ratio)") }
                #expect(ratios.count == 13)
            }

            // Each page, in both themes, for the docs; and at a phone's width.
            for theme in ["light", "dark"] {
                try await browser.run(
                    "const theme = document.getElementById('theme'); theme.value = arguments[0]; theme.dispatchEvent(new Event('change'));",
                    [theme]
                )
                for page in ["", "tasks", "queues", "definitions", "workers", "dead-letters"] {
                    try await browser.open(api.url + "/#/" + page)
                    try await browser.wait(for: "document.querySelector('#page section')", "the \(page) page")
                    try await browser.screenshot("\(page.isEmpty ? "overview" : page)-\(theme)")
                }
            }
            try await browser.resize(width: 390, height: 844)
            try await browser.open(api.url + "/#/tasks")
            try await browser.wait(for: "document.querySelector('#tasks tbody tr')", "the tasks at a phone's width")
            let overflow = try await browser.run("return document.documentElement.scrollWidth - document.documentElement.clientWidth") as? Int
            #expect(overflow == 0, "the page is wider than a phone by \(overflow ?? -1) px")
            try await browser.screenshot("tasks-phone")
        }
    }
}
