import Foundation
import Testing

/// A real browser for the dashboard's tests: Debian's `chromium`, headless, driven over the W3C WebDriver protocol by
/// `chromedriver` (Debian's `chromium-driver`) on a free loopback port. `scripts/test` installs both when missing;
/// without them the tests fail, they never skip.
///
/// The browser keeps Chrome's performance log (every network request of every window), so that a test can check
/// that a page asked nothing of another origin.
final class Browser: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let driver: ChildProcess
    private let session: String
    private let base: String

    /// Where screenshots go: `$ERRAND_SCREENSHOTS`, or `.build/screenshots` of the package.
    static let screenshots: URL = {
        if let path = ProcessInfo.processInfo.environment["ERRAND_SCREENSHOTS"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/screenshots").standardized
    }()

    /// Starts chromedriver and a headless chromium of `width` × `height` CSS pixels.
    static func launch(width: Int = 1280, height: Int = 800) async throws -> Browser {
        guard let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first(where: FileManager.default.isExecutableFile),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
        else {
            throw Failure(description: "the dashboard's tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
        }
        let port = ThrowawayPostgres.freePort()
        let driver = try ChildProcess(
            chromedriver,
            ["--port=\(port)", "--allowed-ips=127.0.0.1"],
            environment: ProcessInfo.processInfo.environment,
            output: "/dev/null"
        )
        let root = "http://127.0.0.1:\(port)"
        let options: [String: Any] = [
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)"],
        ]
        let capabilities: [String: Any] = [
            "capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options, "goog:loggingPrefs": ["performance": "ALL"]]]
        ]
        var answer: Any?
        let deadline = Date().addingTimeInterval(30)
        while answer == nil {
            do {
                answer = try await Self.call(root, "POST", "/session", capabilities)
            } catch is LoopbackHTTP.Refused where Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                driver.terminate()
                throw error
            }
        }
        guard let session = (answer as? [String: Any])?["sessionId"] as? String else {
            driver.terminate()
            throw Failure(description: "chromedriver started no session: \(answer ?? "nothing")")
        }
        return Browser(driver: driver, session: session, base: "\(root)/session/\(session)")
    }

    /// Launches a browser, runs `body` with it and closes it; when `body` throws, a screenshot of the moment is left
    /// as `failure-NAME.png` first.
    static func with(_ name: String, _ body: (Browser) async throws -> Void) async throws {
        let browser = try await launch()
        do {
            try await body(browser)
        } catch {
            _ = try? await browser.screenshot("failure-\(name)")
            await browser.close()
            throw error
        }
        await browser.close()
    }

    private init(driver: ChildProcess, session: String, base: String) {
        self.driver = driver
        self.session = session
        self.base = base
    }

    /// Ends the session (the browser quits) and stops chromedriver.
    func close() async {
        _ = try? await Self.call(base, "DELETE", "", nil)
        // chromedriver ignores SIGTERM while it has connections open; its browser has quit with the session.
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
    }

    /// One WebDriver command; answers its `value`, or throws the driver's error message.
    private static func call(_ base: String, _ method: String, _ path: String, _ body: Any?) async throws -> Any? {
        let bytes = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let data = try await LoopbackHTTP.send(method, base + path, body: bytes)
        let answer = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        let value = answer?["value"]
        if let error = value as? [String: Any], let kind = error["error"] as? String {
            throw Failure(description: "WebDriver \(method) \(path): \(kind): \(error["message"] as? String ?? "")")
        }
        return value is NSNull ? nil : value
    }

    private func call(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Any? {
        try await Self.call(base, method, path, body)
    }

    /// Loads `url` and waits for its load event.
    func open(_ url: String) async throws { _ = try await call("POST", "/url", ["url": url]) }

    /// The current page's URL.
    func url() async throws -> String { try await call("GET", "/url") as? String ?? "" }

    /// Reloads the page.
    func reload() async throws { _ = try await call("POST", "/refresh", [String: Any]()) }

    /// Runs `script` (a function body; `arguments` are its arguments) in the page; answers what it returns.
    @discardableResult
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await call("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// Runs `script`, a function body that awaits what it needs (it may `return await …`), in the page.
    @discardableResult
    func runAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        let wrapped =
            "const done = arguments[arguments.length - 1]; (async (...args) => { \(script) })(...arguments)"
            + ".then((value) => done({ value }), (error) => done({ error: String(error) }));"
        let answer = try await call("POST", "/execute/async", ["script": wrapped, "args": arguments]) as? [String: Any]
        if let error = answer?["error"] as? String { throw Failure(description: "script failed: \(error)") }
        return answer?["value"]
    }

    /// Records in `window[name]`, from now on, when each element matching `selector` first shows each value of its
    /// `data-ATTRIBUTE`: under the key `"<data-id> <value>"`, in the page's milliseconds (`Date.now()`).
    func recordFirstSeen(_ selector: String, attribute: String, as name: String) async throws {
        try await run(
            """
            const [selector, attribute, name] = arguments;
            window[name] = {};
            new MutationObserver(() => {
              for (const item of document.querySelectorAll(selector)) {
                const key = `${item.dataset.id} ${item.dataset[attribute]}`;
                if (!(key in window[name])) window[name][key] = Date.now();
              }
            }).observe(document.body, { subtree: true, childList: true, attributes: true });
            """,
            [selector, attribute, name]
        )
    }

    /// Waits up to `timeout` seconds for `expression` (JavaScript) to be truthy in the page; answers its value.
    @discardableResult
    func wait(
        for expression: String,
        timeout: Double = 10,
        _ what: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Any? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let value = try await run("try { return (\(expression)) || null; } catch { return null; }") { return value }
            try await Task.sleep(for: .milliseconds(25))
        } while Date() < deadline
        let page = try await run("return document.body.innerText.slice(0, 2000)") as? String ?? ""
        throw Failure(description: "timed out after \(timeout) s waiting for \(what ?? expression); the page shows:\n\(page)")
    }

    /// The WebDriver id of the first element matching `selector`.
    private func element(_ selector: String) async throws -> String {
        let answer = try await call("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = answer?.values.first as? String else { throw Failure(description: "no element \(selector)") }
        return id
    }

    /// Clicks the first element matching `selector`, as a user would.
    /// A page that re-renders between the find and the click (a live refresh) leaves a stale element: it is looked
    /// up again, up to three times.
    func click(_ selector: String) async throws {
        for try_ in 1...3 {
            do {
                _ = try await call("POST", "/element/\(try await element(selector))/click", [String: Any]())
                return
            } catch  where try_ < 3 && "\(error)".contains("stale element reference") {
                continue
            }
        }
    }

    /// Types `text` into the first element matching `selector`, after clearing it.
    func type(_ selector: String, _ text: String) async throws {
        let id = try await element(selector)
        _ = try await call("POST", "/element/\(id)/clear", [String: Any]())
        _ = try await call("POST", "/element/\(id)/value", ["text": text])
    }

    /// Accepts the page's `confirm()` dialog.
    func acceptDialog() async throws { _ = try await call("POST", "/alert/accept", [String: Any]()) }

    /// Opens a new window and answers its handle (the current window stays current).
    func newWindow() async throws -> String {
        let answer = try await call("POST", "/window/new", ["type": "window"]) as? [String: Any]
        return answer?["handle"] as? String ?? ""
    }

    /// The current window's handle.
    func window() async throws -> String { try await call("GET", "/window") as? String ?? "" }

    func switchTo(_ handle: String) async throws { _ = try await call("POST", "/window", ["handle": handle]) }

    /// Sets the window's size (CSS pixels of the outer window).
    func resize(width: Int, height: Int) async throws { _ = try await call("POST", "/window/rect", ["width": width, "height": height]) }

    /// Writes a PNG of the current window to `screenshots/NAME.png`; answers its URL.
    @discardableResult
    func screenshot(_ name: String) async throws -> URL {
        let encoded = try await call("GET", "/screenshot") as? String ?? ""
        guard let png = Data(base64Encoded: encoded) else { throw Failure(description: "the screenshot is not base64") }
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        let file = Self.screenshots.appendingPathComponent("\(name).png")
        try png.write(to: file)
        return file
    }

    /// The URLs every window asked for since the last call (Chrome's performance log: `Network.requestWillBeSent`).
    func requestedURLs() async throws -> [String] {
        let entries = try await call("POST", "/se/log", ["type": "performance"]) as? [[String: Any]] ?? []
        return entries.compactMap { entry in
            guard let text = entry["message"] as? String,
                let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["message"] as? [String: Any],
                message["method"] as? String == "Network.requestWillBeSent",
                let request = (message["params"] as? [String: Any])?["request"] as? [String: Any]
            else { return nil }
            return request["url"] as? String
        }
    }
}
