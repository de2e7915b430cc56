import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A background child process started with `posix_spawn`, its standard input from /dev/null and its output appended
/// to a file. Foundation's `Process.run()` crashes the test process now and then on Linux (a 256-byte over-read of
/// `/proc/self/fd` entries, swift-corelibs-foundation #5472); this does not read that directory: it closes the
/// child's other descriptors with glibc's `posix_spawn_file_actions_addclosefrom_np`.
final class ChildProcess: @unchecked Sendable {
    let processIdentifier: pid_t
    private let lock = NSLock()
    private var status: Int32?

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not declare.
    private static let closeFrom: CloseFrom? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// Starts `executable` with `arguments` and `environment`, appending its standard output and error to `output`.
    init(_ executable: String, _ arguments: [String], environment: [String: String], output: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        processIdentifier = pid
    }

    /// Whether it has not exited yet (reaping it once it has).
    var isRunning: Bool {
        lock.withLock {
            guard status == nil else { return false }
            var raw: Int32 = 0
            let reaped = waitpid(processIdentifier, &raw, WNOHANG)
            if reaped == 0 { return true }
            // Exited: its exit status, or the signal that ended it (as Foundation's `terminationStatus` says).
            status = reaped == processIdentifier ? (raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f) : -1
            return false
        }
    }

    /// Its exit status (or ending signal), waiting for it to exit.
    var terminationStatus: Int32 {
        waitUntilExit()
        return lock.withLock { status ?? -1 }
    }

    /// Sends it SIGTERM.
    func terminate() { kill(processIdentifier, SIGTERM) }

    /// Blocks until it has exited.
    func waitUntilExit() {
        while isRunning { usleep(5_000) }
    }

    /// Waits for it to exit, up to `timeout` seconds; records a failure and kills it otherwise.
    func waitForExit(timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if isRunning {
            Issue.record("process \(processIdentifier) did not exit within \(timeout) s", sourceLocation: sourceLocation)
            kill(processIdentifier, SIGKILL)
            return nil
        }
        return terminationStatus
    }
}
