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

    @Test func aQueueSuspendedFromThePageHoldsItsTasksAndResumedRunsThemWithLiveCounts() async throws {
        // One slot, held by a 4 s sleep while the queue's tasks are enqueued and the queue is suspended.
        try await Self.withDashboard(["--capacity", "1"]) { _, api, browser in
            _ = try await api.object("POST", "/v1/queues", #"{"name": "mail"}"#)
            _ = try await api.object("POST", "/v1/tasks", #"{"handler": "errand.sleep", "arguments": 4}"#)
            let body = (0..<5).map { _ in #"{"handler": "errand.echo", "queue": "mail", "arguments": 1}"# }.joined(separator: ", ")
            _ = try await api.object("POST", "/v1/tasks/batch", #"{"tasks": [\#(body)]}"#)
            try await browser.open(api.url + "/#/queues")
            let row = "document.querySelector('#queue-list tr[data-queue=mail]')"
            try await browser.wait(for: row, "the queue's row")
            try await browser.click("#queue-list tr[data-queue=mail] button:not(.danger)")
            try await browser.wait(for: "\(row).textContent.includes('suspended')", "the queue suspended")
            #expect(try await api.object("GET", "/v1/queues/mail")["state"] as? String == "suspended")

            // Once the slot is free the queue's tasks stay pending: nothing claims from a suspended queue.
            let pendingCell = "\(row).cells[3].textContent"
            #expect(try await browser.run("return \(pendingCell)") as? String == "5")
            let sleeping = try await api.object("GET", "/v1/tasks?handler=errand.sleep")
            let sleeper = try #require((sleeping["tasks"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await api.call("GET", "/v1/tasks/\(sleeper)/wait?timeout=10")
            try await Task.sleep(for: .seconds(1.5))
            let held = try await api.object("GET", "/v1/queues/mail")
            #expect((held["counts"] as? [String: Any])?["pending"] as? Int == 5, "a suspended queue ran tasks: \(held)")
            try await browser.screenshot("queues-suspended")

            try await browser.click("#queue-list tr[data-queue=mail] button:not(.danger)")
            let resumed = Date()
            await eventually(timeout: 3, every: 0.05, "the tasks to run within 3 s of resuming") {
                let queue = try? await api.object("GET", "/v1/queues/mail")
                return (queue?["counts"] as? [String: Any])?["completed"] as? Int == 5
            }
            #expect(Date().timeIntervalSince(resumed) < 3)
            try await browser.wait(for: "\(row).cells[5].textContent === '5' && \(pendingCell) === '0'", "5 completed, live")
            #expect(try await browser.run("return \(row).textContent.includes('active')") as? Bool == true)
            try await browser.screenshot("queues")
        }
    }

    @Test func aSingleShotStartedFromTheDefinitionsPageShowsRunningThenCompletedInAnotherWindowOverOneStream() async throws {
        let config = """
            tasks:
              greet:
                kind: single_shot
                func_name: errand.sleep
                args: {"seconds": 0.1}
            """
        try await Self.withDashboard(config: config) { _, api, browser in
            let first = try await browser.window()
            try await browser.open(api.url + "/#/definitions")
            try await browser.wait(for: "document.querySelector('#definition-list tr[data-name=greet] textarea')", "the definition")
            // The second window follows the task list, recording when each row first shows each state.
            let second = try await browser.newWindow()
            try await browser.switchTo(second)
            try await browser.open(api.url + "/#/tasks")
            try await browser.wait(for: "document.getElementById('live').textContent === 'live'", "the second window live")
            try await browser.run(
                """
                window.seen = {};
                new MutationObserver(() => {
                  for (const row of document.querySelectorAll("#tasks tbody tr")) {
                    const key = `${row.dataset.id} ${row.dataset.state}`;
                    if (!(key in window.seen)) window.seen[key] = Date.now();
                  }
                }).observe(document.body, { subtree: true, childList: true, attributes: true });
                """
            )
            let roles = [try await browser.run("return document.documentElement.dataset.events") as? String]
            try await browser.switchTo(first)
            let arguments = #"{"seconds": 1.5, "request": 12345678901234567890}"#
            try await browser.type("#definition-list tr[data-name=greet] textarea", arguments)
            try await browser.click("#definition-list tr[data-name=greet] button")
            let link = try await browser.wait(for: "document.querySelector('#notice a')?.textContent", "the started task's link")
            let id = try #require(link as? String)
            let started = try await api.object("GET", "/v1/tasks/\(id)")
            #expect(started["module"] as? String == "greet")
            let firstRole = try await browser.run("return document.documentElement.dataset.events") as? String

            try await browser.switchTo(second)
            try await browser.wait(for: "window.seen['\(id) completed']", timeout: 15, "the task completed in the second window")
            let seen = try #require(try await browser.run("return window.seen") as? [String: Any])
            let task = try await api.object("GET", "/v1/tasks/\(id)")
            #expect(task["state"] as? String == "completed")
            let runningShown = try #require(seen["\(id) running"] as? Double, "the second window never showed it running: \(seen)")
            let completedShown = try #require(seen["\(id) completed"] as? Double)
            let runningDelay = runningShown - (try Self.milliseconds(task["started_at"]))
            let completedDelay = completedShown - (try Self.milliseconds(task["finished_at"]))
            #expect(runningDelay < 1000, "running showed \(runningDelay) ms after it started")
            #expect(completedDelay < 1000, "completed showed \(completedDelay) ms after it finished")
            // The arguments reached the task as typed.
            let text = try await browser.runAsync("return await (await fetch('/v1/tasks/' + arguments[0])).text()", [id]) as? String ?? ""
            #expect(text.contains(#""arguments":\#(arguments)"#), "\(text.prefix(600))")
            try await browser.screenshot("tasks")

            // One stream for both windows: the first window reads it, the second listens.
            #expect(Set([firstRole] + roles) == ["leader", "follower"], "events: \(String(describing: firstRole)), \(roles)")
            let streams = try await browser.requestedURLs().filter { $0.contains("/v1/events") }
            #expect(streams.count == 1, "event streams opened: \(streams)")
            try await browser.switchTo(first)
            try await browser.screenshot("definitions")
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

    @Test func aThirteenTaskTreeIsDrawnRollsUpAFailureLiveAndAbortsOneBranch() async throws {
        try await Self.withDashboard { _, api, browser in
            // Handlers no node runs, so that every task stays pending until the test claims it.
            func enqueue(_ name: String, parent: String?, handler: String = "browser.tree") async throws -> String {
                let parentMember = parent.map { #", "parent_id": "\#($0)""# } ?? ""
                let body = #"{"handler": "\#(handler)", "name": "\#(name)", "retry": {"max_attempts": 1}\#(parentMember)}"#
                return try #require(try await api.object("POST", "/v1/tasks", body)["id"] as? String)
            }
            let root = try await enqueue("root", parent: nil)
            var children: [String] = []
            var grandchildren: [[String]] = []
            for child in 1...3 {
                let id = try await enqueue("child \(child)", parent: root)
                children.append(id)
                var own: [String] = []
                for grandchild in 1...3 {
                    let handler = child == 1 && grandchild == 1 ? "browser.fails" : "browser.tree"
                    own.append(try await enqueue("grandchild \(child).\(grandchild)", parent: id, handler: handler))
                }
                grandchildren.append(own)
            }
            try await browser.open(api.url + "/#/tree/\(root)")
            try await browser.wait(for: "document.querySelectorAll('#tree li').length === 13", "13 tasks drawn")
            let depth = try await browser.run("return document.querySelectorAll('#tree ul ul ul li').length") as? Int
            #expect(depth == 9, "grandchildren drawn two levels down: \(depth ?? -1)")
            func rolledUp(_ id: String) async throws -> String? {
                try await browser.run("return document.querySelector(`#tree li[data-id='${arguments[0]}']`).dataset.rolledUp", [id]) as? String
            }
            #expect(try await rolledUp(root) == "pending")
            try await browser.run(
                """
                window.rolledUpAt = {};
                new MutationObserver(() => {
                  for (const item of document.querySelectorAll('#tree li')) {
                    const key = `${item.dataset.id} ${item.dataset.rolledUp}`;
                    if (!(key in window.rolledUpAt)) window.rolledUpAt[key] = Date.now();
                  }
                }).observe(document.body, { subtree: true, childList: true, attributes: true });
                """
            )

            // A grandchild fails: its parent's and the root's subtrees show failed within 1 s, without a reload.
            let claimed = try await api.object("POST", "/v1/claims", #"{"worker": "tree-w", "handlers": ["browser.fails"], "max": 1}"#)
            #expect((claimed["tasks"] as? [[String: Any]])?.first?["id"] as? String == grandchildren[0][0])
            _ = try await api.object("POST", "/v1/tasks/\(grandchildren[0][0])/fail", #"{"worker": "tree-w", "attempt": 1, "message": "broken"}"#)
            let failed = try await api.object("GET", "/v1/tasks/\(grandchildren[0][0])")
            #expect(failed["state"] as? String == "failed")
            let finishedAt = try Self.milliseconds(failed["finished_at"])
            try await browser.wait(for: "window.rolledUpAt[`\(root) failed`]", "the root rolled up as failed")
            for ancestor in [root, children[0]] {
                let shown = try #require(try await browser.run("return window.rolledUpAt[arguments[0]]", ["\(ancestor) failed"]) as? Double)
                let delay = shown - finishedAt
                #expect(delay < 1000, "\(ancestor) showed failed \(delay) ms after the failure")
            }
            #expect(try await rolledUp(children[1]) == "pending")
            try await browser.screenshot("tree")

            // Abort the second child: it and its three children are cancelled, nothing else.
            try await browser.click("#tree li[data-id='\(children[1])'] > .node button")
            try await browser.wait(
                for: "document.querySelector(`#tree li[data-id='\(children[1])']`).dataset.state === 'cancelled'",
                "the branch aborted"
            )
            var states: [String: String] = [:]
            for id in [root] + children + grandchildren.flatMap({ $0 }) {
                states[id] = try await api.object("GET", "/v1/tasks/\(id)")["state"] as? String
            }
            let cancelled = Set(states.filter { $0.value == "cancelled" }.keys)
            #expect(cancelled == Set([children[1]] + grandchildren[1]), "cancelled: \(cancelled.count) tasks")
            #expect(states[grandchildren[0][0]] == "failed")
            #expect(states.filter { $0.value == "pending" }.count == 8)
            try await browser.wait(
                for: "[...document.querySelectorAll('#tree li')].filter((item) => item.dataset.state === 'cancelled').length === 4",
                "four cancelled tasks drawn"
            )
        }
    }

    @Test func aCutStreamShowsReconnectingThenCatchesUpWithNoMissingOrDuplicatedRows() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            // A fixed port: the page reconnects to the same origin when the server is back.
            let address = "127.0.0.1:\(ThrowawayPostgres.freePort())"
            var serve = try errand.serve(["--http", address])
            let api = ServeAPI(url: "http://\(address)")
            _ = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let browser = try await Browser.launch()
            do {
                for _ in 0..<3 { _ = try await api.object("POST", "/v1/tasks", #"{"handler": "errand.echo", "arguments": 1}"#) }
                try await browser.open(api.url + "/#/tasks")
                try await browser.wait(for: "document.querySelectorAll('#tasks tbody tr').length === 3", "three rows")
                try await browser.wait(for: "document.getElementById('live').textContent === 'live'", "live")

                serve.terminate()
                _ = await serve.waitForExit(timeout: 20)
                try await browser.wait(for: "document.getElementById('live').textContent === 'reconnecting'", "reconnecting")
                try await browser.screenshot("reconnecting")
                // While the server is down, other nodes (here the CLI, on the same database) go on.
                for number in 0..<5 { _ = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "\(number)"]) }
                serve = try errand.serve(["--http", address])
                defer {
                    serve.terminate()
                    serve.waitUntilExit()
                }
                try await browser.wait(for: "document.getElementById('live').textContent === 'live'", timeout: 20, "live again")
                let expected = Set(
                    try #require((try await api.object("GET", "/v1/tasks")["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
                )
                #expect(expected.count == 8)
                // The page catches up: every task once, each as the API has it, without a reload.
                try await browser.wait(
                    for: "[...document.querySelectorAll('#tasks tbody tr')].filter((row) => row.dataset.state === 'completed').length === 8",
                    timeout: 15,
                    "eight completed rows"
                )
                let shown = try #require(
                    try await browser.run("return [...document.querySelectorAll('#tasks tbody tr')].map((row) => row.dataset.id)") as? [String]
                )
                #expect(shown.count == 8 && Set(shown) == expected, "rows: \(shown.count), \(Set(shown).count) distinct")
                // The stream resumed after the last event it had read.
                let streams = try await browser.requestedURLs().filter { $0.contains("/v1/events") }
                #expect(streams.contains { $0.contains("/v1/events?after=") }, "\(streams)")
            } catch {
                _ = try? await browser.screenshot("failure-reconnect")
                await browser.close()
                throw error
            }
            await browser.close()
        }
    }

    @Test func aMillionTasksPageByKeysetWithACappedCountAndLinksThatReproduceThePage() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            // A million tasks of a handler no node runs, bulk-enqueued with the CLI, 100,000 per batch.
            let batch = directory.appendingPathComponent("batch.jsonl")
            for chunk in 0..<10 {
                let lines = (0..<100_000).map { #"{"handler": "browser.bulk", "arguments": \#(chunk * 100_000 + $0)}"# }
                try (lines.joined(separator: "\n") + "\n").write(to: batch, atomically: true, encoding: .utf8)
                let added = try await errand.run(["task", "add", "-f", batch.path, "--any-handler", "-o", "table"])
                #expect(added.status == 0, "batch \(chunk): \(added.stderr)")
            }
            let serve = try errand.serve()
            defer {
                serve.terminate()
                serve.waitUntilExit()
            }
            let url = try #require(await errand.apiURL(), "no HTTP API: \(errand.nodeLogs())")
            let browser = try await Browser.launch()
            do {
                func rows() async throws -> [String] {
                    try #require(
                        try await browser.run("return [...document.querySelectorAll('#tasks tbody tr')].map((row) => row.dataset.id)") as? [String]
                    )
                }
                try await browser.open(url + "/#/tasks")
                try await browser.wait(for: "document.querySelectorAll('#tasks tbody tr').length === 50", timeout: 20, "the first page")
                #expect(try await browser.run("return document.getElementById('task-count').textContent") as? String == "10,000+ tasks")
                // Server time of the first page and of the count, from the browser's resource timing.
                let timings = try #require(
                    try await browser.run(
                        "return performance.getEntriesByType('resource').filter((entry) => entry.name.includes('/v1/tasks')).map((entry) => [entry.name, entry.responseStart - entry.requestStart])"
                    ) as? [[Any]]
                )
                #expect(timings.count >= 2, "\(timings)")
                for timing in timings {
                    let milliseconds = timing[1] as? Double ?? .infinity
                    #expect(milliseconds < 1000, "\(timing[0]) took \(milliseconds) ms of server time")
                }
                let first = try await rows()
                #expect(Set(first).count == 50)
                try await browser.click("#next")
                try await browser.wait(for: "document.querySelector('#tasks tbody tr')?.dataset.id !== '\(first[0])'", "the second page")
                let second = try await rows()
                let secondURL = try await browser.url()
                try await browser.click("#next")
                try await browser.wait(for: "document.querySelector('#tasks tbody tr')?.dataset.id !== '\(second[0])'", "the third page")
                let third = try await rows()
                #expect(Set(first + second + third).count == 150, "pages overlap")
                // Newest first, without gaps: each page starts after the last row of the page before.
                #expect(first.last! > second.first! && second.last! > third.first!)
                try await browser.click("#previous")
                try await browser.wait(for: "document.querySelector('#tasks tbody tr')?.dataset.id === '\(second[0])'", "back to the second page")
                #expect(try await rows() == second)
                try await browser.screenshot("tasks-million")
                // A copied link reproduces the page in a new window, and its "previous" still works.
                #expect(secondURL.contains("cursor=") && secondURL.contains("trail="), "\(secondURL)")
                let other = try await browser.newWindow()
                try await browser.switchTo(other)
                try await browser.open(secondURL)
                try await browser.wait(for: "document.querySelectorAll('#tasks tbody tr').length === 50", "the linked page")
                #expect(try await rows() == second)
                try await browser.click("#previous")
                try await browser.wait(for: "document.querySelector('#tasks tbody tr')?.dataset.id === '\(first[0])'", "the first page from the link")
                #expect(try await rows() == first)
            } catch {
                _ = try? await browser.screenshot("failure-million")
                await browser.close()
                throw error
            }
            await browser.close()
        }
    }
}
