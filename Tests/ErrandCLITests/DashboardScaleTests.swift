import ErrandTesting
import Foundation
import Testing

/// The dashboard on many tasks: a million listed by keyset pages, and bulk actions by filter.
extension DashboardBrowserTests {
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
            try await Browser.with("million") { browser in
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
            }
        }
    }

    @Test func aBulkRetryByFilterStatesTheCountShowsProgressAndRetriesEveryMatchingTask() async throws {
        try await Self.withDashboard { errand, api, browser in
            _ = try await api.object("POST", "/v1/queues", #"{"name": "bulk"}"#)
            let failing = #"{"handler": "errand.fail", "queue": "bulk", "arguments": {"message": "broken"}, "retry": {"max_attempts": 1}}"#
            for _ in 0..<3 {
                _ = try await api.object("POST", "/v1/tasks/batch", #"{"tasks": [\#(Array(repeating: failing, count: 400).joined(separator: ","))]}"#)
            }
            // Elsewhere, failed tasks the filter leaves out.
            _ = try await api.object("POST", "/v1/tasks", #"{"handler": "errand.fail", "retry": {"max_attempts": 1}}"#)
            await eventually(timeout: 60, every: 0.25, "1,200 failed tasks") {
                let count = try? await api.object("GET", "/v1/tasks/count?queue=bulk&state=failed")
                return count?["count"] as? Int == 1200
            }
            // Held, so that the retried tasks stay pending where the test can count them.
            _ = try await api.object("POST", "/v1/queues/bulk/suspend")

            try await browser.open(api.url + "/#/tasks?state=failed&queue=bulk")
            try await browser.wait(for: "document.getElementById('task-count')?.textContent === '1,200 tasks'", "the filtered count")
            try await browser.click("#bulk-retry")
            try await browser.wait(for: "document.getElementById('bulk-count')?.dataset.count", "the dialog's count")
            #expect(try await browser.run("return document.getElementById('bulk-count').textContent") as? String == "1,200 tasks match now.")
            #expect(try await browser.run("return document.getElementById('bulk-confirm').textContent") as? String == "Retry 1,200 tasks")
            try await browser.screenshot("bulk-confirm")
            try await browser.click("#bulk-confirm")
            try await browser.wait(for: "document.getElementById('bulk-dialog').dataset.state === 'completed'", timeout: 60, "the bulk retry done")
            #expect(try await browser.run("return document.querySelector('#bulk-dialog progress').value") as? Int == 100)
            #expect(try await browser.run("return document.getElementById('bulk-percent').textContent") as? String == "100 %")
            let result = try await browser.run("return document.getElementById('bulk-result').textContent") as? String
            #expect(result == "Done: 1,200 retried, 0 skipped.", "\(result ?? "none")")
            try await browser.screenshot("bulk-done")

            let pending = try await api.object("GET", "/v1/tasks/count?queue=bulk&state=pending")
            #expect(pending["count"] as? Int == 1200, "\(pending)")
            let stillFailed = try await api.object("GET", "/v1/tasks/count?queue=bulk&state=failed")
            #expect(stillFailed["count"] as? Int == 0)
            let elsewhere = try await api.object("GET", "/v1/tasks/count?queue=default&state=failed")
            #expect(elsewhere["count"] as? Int == 1, "a task outside the filter was retried")
            let bulkTask = try #require(try await browser.run("return document.getElementById('bulk-dialog').dataset.task") as? String)
            let task = try await api.object("GET", "/v1/tasks/\(bulkTask)")
            #expect(task["handler"] as? String == "errand.bulk" && task["internal"] as? Bool == true)
            #expect((task["progress"] as? [String: Any])?["completed"] as? Double == 1200)

            // The same action from the CLI, on the server: the tasks are pending now, so a retry skips them all.
            let cli = try await errand.runBare(["task", "retry", "--state", "pending", "--queue", "bulk", "--server", api.url])
            #expect(cli.status == 0, "\(cli.stderr)")
            #expect(cli.stdout == #"{"action":"retry","matched":1200,"changed":0,"skipped":1200}"#, "\(cli.stdout)")
            #expect(cli.stderr.contains("runs on the server as task"), "\(cli.stderr)")
        }
    }
}
