import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client for loopback servers that FoundationNetworking cannot read: chromedriver writes its
/// headers without a space after the colon (`Content-Length:916`), which swift-corelibs-foundation's URLSession
/// rejects ("Failed writing header"). One request per connection, its body read by `Content-Length`, on a Dispatch thread, so that
/// the blocking socket never holds a cooperative thread.
enum LoopbackHTTP {
    struct Refused: Error {}

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends one request to `url` (`http://127.0.0.1:PORT/PATH`) and answers the response's body.
    static func send(_ method: String, _ url: String, body: Data) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try sendBlocking(method, url, body: body) })
            }
        }
    }

    private static func sendBlocking(_ method: String, _ url: String, body: Data) throws -> Data {
        guard let components = URLComponents(string: url), let port = components.port else { throw Failure(description: "bad URL \(url)") }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Refused() }
        let path = components.percentEncodedPath + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        var request = Data("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n".utf8)
        request.append(Data("Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8))
        request.append(body)
        try request.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let written = Glibc.send(socket, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw Failure(description: "send: errno \(errno)") }
                sent += written
            }
        }
        // Read the headers, then as many bytes as Content-Length says (the server may keep the connection open).
        var response = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var expected: Int?
        var bodyStart = 0
        while expected.map({ response.count < bodyStart + $0 }) ?? true {
            let count = recv(socket, &chunk, chunk.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: chunk[0..<count])
            if expected == nil, let end = response.range(of: Data("\r\n\r\n".utf8)) {
                bodyStart = end.upperBound - response.startIndex
                let head = String(decoding: response[response.startIndex..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                expected = length.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? Int.max
            }
        }
        guard expected != nil else { throw Failure(description: "no HTTP response from \(url)") }
        return response.subdata(in: (response.startIndex + bodyStart)..<response.endIndex)
    }
}
