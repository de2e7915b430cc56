import ErrandTesting
import Foundation
import Testing

/// The dashboard's files as `errand serve` answers them over a real port: without a token, with their types, and
/// with a Content-Security-Policy that allows nothing from another origin and no inline script.
@Suite(.timeLimit(.minutes(5))) struct DashboardServingTests {
    @Test func thePageAndItsModulesAreServedWithAStrictPolicy() async throws {
        try await TestServer.with { server in
            // Every file of the dashboard's folder (but the Swift source serving them) is served.
            let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../Sources/ErrandHTTP/Dashboard").standardized
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasSuffix(".swift") }.sorted()
            #expect(files.contains("index.html") && files.contains("app.js") && files.count > 5, "\(files)")
            let paths = files.map { name -> (String, String) in
                let type = name.hasSuffix(".css") ? "text/css" : name.hasSuffix(".html") ? "text/html" : "text/javascript"
                return (name == "index.html" ? "/" : "/dashboard/\(name)", type)
            }
            for (path, type) in paths {
                let answer = try await server.send("GET", path, token: nil)
                #expect(answer.status == 200, "\(path) answered \(answer.status)")
                #expect(answer.header("Content-Type")?.hasPrefix(type) == true, "\(path): \(answer.header("Content-Type") ?? "no type")")
                let policy = try #require(answer.header("Content-Security-Policy"), "\(path) has no Content-Security-Policy")
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
                #expect(policy.contains("connect-src 'self'") && policy.contains("frame-ancestors 'none'"))
                #expect(answer.header("X-Content-Type-Options") == "nosniff")
                #expect(!answer.body.isEmpty)
            }
            let page = try await server.send("GET", "/", token: nil).text
            #expect(page.contains(#"<script type="module" src="/dashboard/app.js"></script>"#))
            #expect(!page.contains("<script>"), "no inline script: the policy would block it")
            // The API keeps its own answers: an unknown path is still a problem, and data still needs a token.
            #expect(try await server.send("GET", "/dashboard/nothing.js", token: nil).status == 404)
            #expect(try await server.send("GET", "/v1/statistics", token: nil).status == 401)
            #expect(try await server.send("POST", "/", token: nil).status == 404)
        }
    }
}
