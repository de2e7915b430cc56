import ErrandTesting
import Foundation
import Testing

/// Deleting from the dashboard: one finished task from its page, and every finished root matching a filter.
extension DashboardBrowserTests {
    @Test func aFinishedTaskIsDeletedFromItsPageAndFinishedRootsInBulkByFilter() async throws {
        try await Self.withDashboard { _, api, browser in
            var ids: [String] = []
            for _ in 0..<4 {
                let body = #"{"handler": "browser.old", "tags": ["old"], "retry": {"max_attempts": 1}}"#
                ids.append(try #require(try await api.object("POST", "/v1/tasks", body)["id"] as? String))
            }
            let kept = try #require(try await api.object("POST", "/v1/tasks", #"{"handler": "browser.new", "tags": ["old"]}"#)["id"] as? String)
            let claimed = try await api.object("POST", "/v1/claims", #"{"worker": "old-w", "handlers": ["browser.old"], "max": 4}"#)
            #expect((claimed["tasks"] as? [Any])?.count == 4)
            for id in ids {
                _ = try await api.object("POST", "/v1/tasks/\(id)/complete", #"{"worker": "old-w", "attempt": 1, "result": null}"#)
            }

            // One from its page, confirmed.
            try await browser.open(api.url + "/#/task/\(ids[0])")
            try await browser.wait(for: "[...document.querySelectorAll('#task button')].some((b) => b.textContent === 'Delete')", "the Delete button")
            try await browser.run(
                "window.confirm = () => true; [...document.querySelectorAll('#task button')].find((b) => b.textContent === 'Delete').click()"
            )
            try await browser.wait(for: "location.hash === '#/tasks'", "back on the task list")
            #expect(try await api.send("GET", "/v1/tasks/\(ids[0])").status == 404, "the task is still there")

            // The rest of the tag in bulk: the three finished go, the pending one is skipped and stays.
            try await browser.open(api.url + "/#/tasks?tag=old")
            try await browser.wait(for: "document.getElementById('task-count')?.textContent === '4 tasks'", "four tagged tasks")
            try await browser.click("#bulk-delete")
            try await browser.wait(for: "document.getElementById('bulk-count')?.dataset.count === '4'", "the dialog's count")
            #expect(try await browser.run("return document.getElementById('bulk-confirm').textContent") as? String == "Delete 4 tasks")
            try await browser.click("#bulk-confirm")
            try await browser.wait(for: "document.getElementById('bulk-dialog').dataset.state === 'completed'", timeout: 30, "the bulk delete done")
            let result = try await browser.run("return document.getElementById('bulk-result').textContent") as? String
            #expect(result == "Done: 3 deleted, 1 skipped.", "\(result ?? "none")")
            let left = try await api.object("GET", "/v1/tasks?tag=old")
            #expect((left["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [kept], "\(left)")
        }
    }
}
