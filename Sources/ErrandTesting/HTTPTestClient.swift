public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An answer of an HTTP server under test.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one).
    public var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }

    public func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// Sends real HTTP requests to a server under test (URLSession over a real port).
public struct HTTPTestClient: Sendable {
    public let baseURL: String
    /// Sent as `Authorization: Bearer TOKEN` unless a request names another.
    public let token: String?

    public init(baseURL: String, token: String? = nil) {
        self.baseURL = baseURL
        self.token = token
    }

    /// Sends one request; `json` is the body, sent with `Content-Type: application/json`. `token: .some(nil)`
    /// sends none.
    public func send(
        _ method: String,
        _ path: String,
        json: String? = nil,
        token: String?? = .none,
        headers: [String: String] = [:]
    ) async throws -> HTTPAnswer {
        guard let url = URL(string: baseURL + path) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let token = token ?? self.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: data)
    }
}

extension HTTPTestClient {
    /// Opens a streaming GET (server-sent events) and reads it until `enough` says the text so far suffices, or
    /// `timeout` seconds pass; then closes it and answers the text read.
    public func stream(_ path: String, timeout: Double = 30, until enough: @escaping @Sendable (String) -> Bool) async throws -> String {
        guard let url = URL(string: baseURL + path) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let reader = StreamReader(enough: enough)
        let session = URLSession(configuration: .ephemeral, delegate: reader, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        return await withCheckedContinuation { continuation in
            reader.start(continuation, task: session.dataTask(with: request), timeout: timeout)
        }
    }
}

/// Collects a streaming body and hands it over once it suffices, the stream ends, or the time is up.
private final class StreamReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    private var continuation: CheckedContinuation<String, Never>?
    private var task: URLSessionDataTask?
    private let enough: @Sendable (String) -> Bool

    init(enough: @escaping @Sendable (String) -> Bool) {
        self.enough = enough
    }

    func start(_ continuation: CheckedContinuation<String, Never>, task: URLSessionDataTask, timeout: Double) {
        lock.withLock {
            self.continuation = continuation
            self.task = task
        }
        task.resume()
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { self.finish() }
    }

    private func finish() {
        let (continuation, text, task) = lock.withLock { () -> (CheckedContinuation<String, Never>?, String, URLSessionDataTask?) in
            defer { self.continuation = nil }
            return (self.continuation, self.text, self.task)
        }
        guard let continuation else { return }
        task?.cancel()
        continuation.resume(returning: text)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let suffices = lock.withLock { () -> Bool in
            text += String(decoding: data, as: UTF8.self)
            return enough(text)
        }
        if suffices { finish() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        finish()
    }
}
