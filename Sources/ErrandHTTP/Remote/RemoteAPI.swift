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
    ///   503, no answer); `.corrupt` for an answer that is not JSON.
    func call(_ method: String, _ path: String, query: [(String, String)] = [], body: OutputJSON? = nil) async throws -> BodyObject {
        BodyObject(try await value(method, path, query: query, body: body))
    }

    /// Sends one request and answers its JSON body, whatever its shape (an array, a number), parsed by the server's
    /// own strict parser, so stored JSON in it keeps its exact text.
    func value(_ method: String, _ path: String, query: [(String, String)] = [], body: OutputJSON? = nil) async throws -> ParsedJSON {
        var components = URLComponents(string: base + path)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else { throw StoreError(.invalid, "cannot make a URL of \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 330
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.text.utf8)
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
        let answer = try? ParsedJSON(Array(data))
        guard (200..<300).contains(status) else {
            throw Self.error(status: status, problem: answer.map(BodyObject.init) ?? .empty, url: url)
        }
        guard let answer else { throw StoreError(.corrupt, "the answer of \(method) \(url) is not JSON") }
        return answer
    }

    /// The store error a problem stands for: by its type when that names a ``StoreError/Code`` (the server writes
    /// store errors so, `unknown-queue` for `.unknownQueue`), else by its status.
    private static func error(status: Int, problem: BodyObject, url: URL) -> StoreError {
        let detail = problem.string("detail") ?? "HTTP \(status) from \(url)"
        let kind = problem.string("type")?.split(separator: "/").last.map(String.init) ?? ""
        if kind == Problem.unknownParent { return StoreError(.invalid, detail) }
        if let code = StoreError.Code(rawValue: kind.replacingOccurrences(of: "-", with: "_")), code != .unavailable {
            return StoreError(code, detail)
        }
        switch status {
        case 404: return StoreError(.notFound, detail)
        case 409: return StoreError(.refused, detail)
        case 400, 413: return StoreError(.invalid, detail)
        case 401, 403: return StoreError(.unavailable, "the server refused the token: \(detail)")
        default: return StoreError(.unavailable, detail)
        }
    }
}
