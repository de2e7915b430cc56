import ErrandTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Large and slow requests leave `serve`'s memory where it was, give or take: buffers are given back, not kept.
@Suite(.timeLimit(.minutes(3)), .tags(.realTime)) struct MemoryAfterAbuseTests {
    /// Resident memory of a process, in MiB.
    static func residentMiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }.map { $0 / 1024 }
    }

    static func post(_ url: URL, megabytes: Int) async {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body =
            Data(#"{"handler":"errand.echo","arguments":""#.utf8) + Data(repeating: UInt8(ascii: "x"), count: megabytes << 20) + Data(#""}"#.utf8)
        _ = try? await URLSession.shared.upload(for: request, from: body)
    }

    /// Opens `count` connections that send headers promising a large body, a little of it, then nothing.
    static func slowRequests(port: Int, count: Int, hold: Duration) async throws {
        var sockets: [Int32] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(fd)
                continue
            }
            let head =
                "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                + String(repeating: "x", count: 1000)
            _ = head.withCString { send(fd, $0, strlen($0), 0) }
            sockets.append(fd)
        }
        try await Task.sleep(for: hold)
        for fd in sockets { close(fd) }
    }

    @Test func largeAndSlowRequestsLeaveMemoryBounded() async throws {
        try await TemporaryDirectory.with { directory in
            let errand = ErrandBinary(directory: directory)
            let server = try errand.serve()
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let api = try #require(await errand.apiURL())
            let url = try #require(URL(string: "\(api)/v1/tasks"))
            let port = try #require(Int(api.split(separator: ":").last ?? ""))
            _ = try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "1"])
            try await Task.sleep(for: .seconds(1))
            let before = try #require(Self.residentMiB(server.processIdentifier))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { await Self.post(url, megabytes: 10) } }
            }
            try await Self.slowRequests(port: port, count: 200, hold: .seconds(1))
            for _ in 0..<3 { await Self.post(url, megabytes: 15) }
            // Freed buffers go back as the last requests end: look until they have (or give up after 10 s).
            var after = before
            let settled = await eventually(timeout: 10, every: 0.2, "RSS back near its start") {
                after = Self.residentMiB(server.processIdentifier) ?? after
                return after - before < 48
            }
            print("MemoryAfterAbuseTests: serve RSS \(before) MiB before, \(after) MiB after the abuse")
            #expect(settled, "RSS went from \(before) to \(after) MiB and stayed")
            #expect(try await errand.ok(["task", "add", "--handler", "errand.echo", "--args", "2"]).count == 36, "the server still works")
            server.terminate()
            #expect(await server.waitForExit() == 0, "node logs:\n\(errand.nodeLogs())")
        }
    }
}
