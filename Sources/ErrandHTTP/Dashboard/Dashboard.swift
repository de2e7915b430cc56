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

    /// The files by path.
    static let assets: [String: Asset] = [
        "/": Asset(contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html),
        "/dashboard/app.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.app_js),
        "/dashboard/live.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.live_js),
        "/dashboard/style.css": Asset(contentType: "text/css; charset=utf-8", bytes: PackageResources.style_css),
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
