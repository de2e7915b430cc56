import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HTTP calls to the API of a background `errand serve`, answering parsed JSON bodies.
struct ServeAPI {
    let url: String
    /// The bearer token sent, when the server checks tokens.
    var token: String? = nil

    /// The status and body of one call.
    func send(_ method: String, _ path: String, _ body: String? = nil) async throws -> (status: Int, data: Data) {
        var request = URLRequest(url: try #require(URL(string: url + path)))
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// A call that must succeed (2xx); its parsed body.
    func call(_ method: String, _ path: String, _ body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Any {
        let (status, data) = try await send(method, path, body)
        #expect(
            (200..<300).contains(status),
            "\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))",
            sourceLocation: sourceLocation
        )
        return try JSONSerialization.jsonObject(with: data)
    }

    func object(_ method: String, _ path: String, _ body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> [String: Any]
    {
        try #require(try await call(method, path, body, sourceLocation: sourceLocation) as? [String: Any], sourceLocation: sourceLocation)
    }
}
