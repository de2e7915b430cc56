import ErrandTesting
import Foundation
import Testing

/// The dashboard live: changes made elsewhere (another window, the API, a restart) show without a reload.
extension DashboardBrowserTests {
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
              yearly:
                kind: periodical
                func_name: errand.echo
                schedule: '@yearly'
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
            try await browser.recordFirstSeen("#tasks tbody tr", attribute: "state", as: "seen")
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
            // After a reload the definitions page lists the launch, and a periodical definition's next fire times.
            try await browser.switchTo(first)
            try await browser.reload()
            try await browser.wait(
                for: "document.querySelector(`#definition-list tr[data-name=greet] .launches a[title='\(id)']`)",
                "the launch listed"
            )
            let definitions = try #require(try await api.object("GET", "/v1/definitions")["definitions"] as? [[String: Any]])
            let yearly = try #require(definitions.first { $0["name"] as? String == "yearly" })
            let nextRuns = try #require(yearly["next_runs"] as? [String])
            #expect(nextRuns.count == 3 && nextRuns.allSatisfy { $0.hasSuffix("-01-01T00:00:00.000Z") }, "\(nextRuns)")
            let shown =
                try await browser.run(
                    "return [...document.querySelectorAll('#definition-list tr[data-name=yearly] .next-runs time')].map((time) => time.dateTime)"
                ) as? [String]
            #expect(shown == nextRuns)
            try await browser.screenshot("definitions")
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
            try await Browser.with("reconnect") { browser in
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
                #expect(streams.contains { $0.contains("/v1/events?coalesce=250&after=") }, "\(streams)")
            }
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
            try await browser.recordFirstSeen("#tree li", attribute: "rolledUp", as: "rolledUpAt")

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
}
