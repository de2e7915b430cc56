import Foundation
import Hummingbird

/// The web dashboard's files, compiled into the binary (`Package.swift` embeds them), served at `/` by `errand serve`
/// beside the API: plain HTML, CSS and ES modules, no build step and no request outside the page's own origin.
///
/// The files themselves need no token (a browser cannot send one when it loads a page); every piece of data the page
/// shows comes from the API, with the token the viewer signs in with. Each answer carries a strict
/// Content-Security-Policy: scripts, styles and requests from this origin only, no inline script, no framing.
enum Dashboard {
    struct Asset: Sendable {
        let contentType: String
        let bytes: [UInt8]
    }

    /// The files by path: the page at `/`, its modules and style sheet under `/dashboard/`. Each file of the
    /// `Dashboard` folder is listed here and embedded by `Package.swift` (the tests check that every one is served).
    static let assets: [String: Asset] = {
        var assets = ["/": Asset(contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html)]
        for (name, bytes) in files {
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"
            assets["/dashboard/\(name)"] = Asset(contentType: type, bytes: bytes)
        }
        return assets
    }()

    private static let files: [(String, [UInt8])] = [
        ("api.js", PackageResources.api_js),
        ("app.js", PackageResources.app_js),
        ("bulk.js", PackageResources.bulk_js),
        ("chart.js", PackageResources.chart_js),
        ("dead-letters.js", PackageResources.dead_letters_js),
        ("definitions.js", PackageResources.definitions_js),
        ("json.js", PackageResources.json_js),
        ("live.js", PackageResources.live_js),
        ("overview.js", PackageResources.overview_js),
        ("queues.js", PackageResources.queues_js),
        ("style.css", PackageResources.style_css),
        ("task.js", PackageResources.task_js),
        ("tasks.js", PackageResources.tasks_js),
        ("tree.js", PackageResources.tree_js),
        ("view.js", PackageResources.view_js),
        ("workers.js", PackageResources.workers_js),
    ]

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// The answer to a `GET` or `HEAD` of one of the dashboard's files; `nil` for any other request (the API's).
    static func response(to request: Request) -> Response? {
        guard request.method == .get || request.method == .head, let asset = assets[request.uri.path] else { return nil }
        let headers: HTTPFields = [
            .contentType: asset.contentType, .contentLength: String(asset.bytes.count), .cacheControl: "no-cache",
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
        ]
        let body = request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes))
        return Response(status: .ok, headers: headers, body: body)
    }
}
