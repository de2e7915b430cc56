import ErrandCore
import ErrandStore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Calls an Errand server: JSON in and out, problems turned into ``StoreError``s.
struct RemoteAPI: Sendable {
    let base: String
    let token: String?

    /// A path segment with everything but unreserved characters percent-encoded.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// Sends one request and answers the JSON object of a 2xx answer.
    /// - Throws: ``StoreError`` with the problem's detail: `.notFound` (404), `.refused` (409, or `.queueSuspended`,
    ///   `.alreadyExists`, `.unknownQueue` by the problem's type), `.invalid` (400, 413), `.unavailable` (401, 403,
    ///   503, no answer).
    func call(_ method: String, _ path: String, query: [(String, String)] = [], body: [String: Any]? = nil) async throws -> [String: Any] {
        try await value(method, path, query: query, body: body) as? [String: Any] ?? [:]
    }

    /// Sends one request and answers its JSON body, whatever its shape (an array, a number).
    func value(_ method: String, _ path: String, query: [(String, String)] = [], body: [String: Any]? = nil) async throws -> Any {
        var components = URLComponents(string: base + path)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else { throw StoreError(.invalid, "cannot make a URL of \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 330
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(RemoteCoding.json(body).utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw StoreError(.unavailable, "cannot reach the Errand server at \(base): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let answer = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard (200..<300).contains(status) else {
            throw Self.error(status: status, problem: answer as? [String: Any] ?? [:], url: url)
        }
        return answer ?? [String: Any]()
    }

    private static func error(status: Int, problem: [String: Any], url: URL) -> StoreError {
        let detail = problem["detail"] as? String ?? "HTTP \(status) from \(url)"
        let kind = (problem["type"] as? String)?.split(separator: "/").last.map(String.init) ?? ""
        switch (status, kind) {
        case (404, "unknown-queue"): return StoreError(.unknownQueue, detail)
        case (404, _): return StoreError(.notFound, detail)
        case (409, "queue-suspended"): return StoreError(.queueSuspended, detail)
        case (409, "already-exists"): return StoreError(.alreadyExists, detail)
        case (409, _): return StoreError(.refused, detail)
        case (400, _), (413, _): return StoreError(.invalid, detail)
        case (403, "not-abortable"): return StoreError(.notAbortable, detail)
        case (401, _), (403, _): return StoreError(.unavailable, "the server refused the token: \(detail)")
        default: return StoreError(.unavailable, detail)
        }
    }
}
