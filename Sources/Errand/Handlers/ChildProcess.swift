import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a program as a child process in its own process group, never through a shell.
///
/// Standard input is ``input`` (or `/dev/null`); the last ``outputLimit`` bytes of standard output and error are
/// kept, and each line is handed to ``lines`` as it comes. On timeout or cancellation the whole process group gets
/// SIGTERM, then SIGKILL after ``killGrace`` seconds.
struct ChildProcess: Sendable {
    var argv: [String]
    var timeout: Double?
    var killGrace: Double = 5
    var outputLimit: Int = 64 * 1024
    /// Bytes written to the child's standard input, which is then closed; `nil` gives it `/dev/null`.
    var input: Data? = nil
    /// Variables added to (or replacing those of) this process's environment.
    var environment: [String: String] = [:]
    /// Called with each line of standard output (`false`) or error (`true`), without its newline.
    var lines: (@Sendable (_ line: String, _ isError: Bool) -> Void)? = nil

    struct Exit: Sendable {
        /// Exit status when the program exited, `nil` when a signal ended it.
        var status: Int32?
        /// The signal that ended it, if one did.
        var signal: Int32?
        var stdout: String
        var stderr: String
        var timedOut: Bool
        /// Whether stdout or stderr was cut to ``outputLimit``.
        var truncated: Bool
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws -> Exit {
        guard let program = argv.first, !program.isEmpty else { throw SpawnError(description: "argv is empty") }
        let (pid, outFD, errFD, inFD) = try spawn(program)
        if let input, inFD >= 0 {
            // Written from a thread of its own: a child that never reads must not block this one.
            let writeFD = inFD
            Thread.detachNewThread {
                signal(SIGPIPE, SIG_IGN)
                input.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = write(writeFD, buffer.baseAddress! + offset, buffer.count - offset)
                        if written > 0 {
                            offset += written
                        } else if written < 0 && errno == EINTR {
                            continue
                        } else {
                            break
                        }
                    }
                }
                close(writeFD)
            }
        }

        let flags = Flags()
        let processGroup = pid
        let grace = killGrace
        @Sendable func stop() {
            guard !flags.finished.load(ordering: .acquiring) else { return }
            kill(-processGroup, SIGTERM)
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: grace)
                if !flags.finished.load(ordering: .acquiring) { kill(-processGroup, SIGKILL) }
            }
        }
        let limit = outputLimit
        let lines = self.lines
        let timer: Task<Void, Never>? = timeout.map { seconds in
            Task.detached {
                try? await Task.sleep(for: .seconds(seconds))
                if !Task.isCancelled, !flags.finished.load(ordering: .acquiring) {
                    flags.timedOut.store(true, ordering: .releasing)
                    stop()
                }
            }
        }
        defer { timer?.cancel() }
        let (status, stdout, stderr, truncated) = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, String, String, Bool), Never>) in
                Thread.detachNewThread {
                    let (out, err, truncated) = Self.drain(outFD, errFD, limit: limit, lines: lines)
                    var status: Int32 = 0
                    while waitpid(processGroup, &status, 0) == -1 && errno == EINTR {}
                    flags.finished.store(true, ordering: .releasing)
                    continuation.resume(returning: (status, out, err, truncated))
                }
            }
        } onCancel: {
            stop()
        }
        let exited = status & 0x7F == 0
        return Exit(
            status: exited ? (status >> 8) & 0xFF : nil,
            signal: exited ? nil : status & 0x7F,
            stdout: stdout,
            stderr: stderr,
            timedOut: flags.timedOut.load(ordering: .acquiring),
            truncated: truncated
        )
    }

    /// A pipe whose ends close in every program this process starts: a child started meanwhile must not keep
    /// another child's pipe open (its reader would then never see end of file). The spawn's `dup2` gives the child
    /// its own ends without the flag.
    /// Pipes are made and children spawned under ``spawnLock``, so no child starts between a `pipe` and its
    /// `fcntl`.
    private static func closeOnExecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// export; `nil` elsewhere, where only this type's own pipes are kept from other children.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        #else
            return nil
        #endif
    }()

    /// Held while pipes are made and a child is spawned (see ``closeOnExecPipe(_:)``).
    private static let spawnLock = NSLock()

    /// Starts the child; returns its pid and the parent's ends of its stdout, stderr and stdin (-1 without input).
    private func spawn(_ program: String) throws -> (pid_t, Int32, Int32, Int32) {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        var inPipe: [Int32] = [-1, -1]
        // Built before the lock: only the pipes and the spawn need it.
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let cEnvironment: [UnsafeMutablePointer<CChar>?]? =
            environment.isEmpty
            ? nil
            : ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment ?? [] { free(pointer) } }
        Self.spawnLock.lock()
        guard Self.closeOnExecPipe(&outPipe), Self.closeOnExecPipe(&errPipe), input == nil || Self.closeOnExecPipe(&inPipe) else {
            Self.spawnLock.unlock()
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe + inPipe where fd >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
        // Nothing else of this process (database files, sockets) reaches the child.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group, so a timeout can signal the program and everything it started.
        posix_spawnattr_setpgroup(&attributes, 0)
        // The parent may ignore or block signals (signal handling of the service group); the child starts clean.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid: pid_t = 0
        let spawned: Int32
        if let cEnvironment {
            spawned = posix_spawnp(&pid, program, &actions, &attributes, cArguments, cEnvironment)
        } else {
            spawned = posix_spawnp(&pid, program, &actions, &attributes, cArguments, environ)
        }
        Self.spawnLock.unlock()
        close(outPipe[1])
        close(errPipe[1])
        if inPipe[0] >= 0 { close(inPipe[0]) }
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            if inPipe[1] >= 0 { close(inPipe[1]) }
            throw SpawnError(description: "cannot start \(program): \(String(cString: strerror(spawned)))")
        }
        return (pid, outPipe[0], errPipe[0], inPipe[1])
    }

    /// What the reader thread, the timer and the caller share about one child.
    private final class Flags: Sendable {
        let finished = Atomic<Bool>(false)
        let timedOut = Atomic<Bool>(false)
    }

    /// Reads both pipes to end of file, keeping the last `limit` bytes of each and handing each line to `lines`.
    /// Blocks its thread.
    private static func drain(
        _ outFD: Int32,
        _ errFD: Int32,
        limit: Int,
        lines: (@Sendable (String, Bool) -> Void)?
    ) -> (String, String, Bool) {
        var buffers: [Int32: [UInt8]] = [outFD: [], errFD: []]
        var partial: [Int32: [UInt8]] = [outFD: [], errFD: []]
        func emit(_ fd: Int32, _ bytes: ArraySlice<UInt8>, final: Bool) {
            guard let lines else { return }
            var pending = (partial[fd] ?? []) + bytes
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines(String(decoding: pending[..<newline], as: UTF8.self), fd == errFD)
                pending.removeSubrange(...newline)
            }
            // A line longer than the limit is handed over in pieces rather than held.
            if final || pending.count > limit {
                if !pending.isEmpty { lines(String(decoding: pending, as: UTF8.self), fd == errFD) }
                pending.removeAll()
            }
            partial[fd] = pending
        }
        var open: Set<Int32> = [outFD, errFD]
        var truncated = false
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &chunk, chunk.count)
                if count > 0 {
                    emit(entry.fd, chunk[0..<count], final: false)
                    buffers[entry.fd, default: []].append(contentsOf: chunk[0..<count])
                    if let size = buffers[entry.fd]?.count, size > limit {
                        buffers[entry.fd]?.removeFirst(size - limit)
                        truncated = true
                    }
                } else if count == 0 || errno != EINTR {
                    emit(entry.fd, [], final: true)
                    close(entry.fd)
                    open.remove(entry.fd)
                }
            }
        }
        let text = { (fd: Int32) in String(decoding: buffers[fd] ?? [], as: UTF8.self) }
        return (text(outFD), text(errFD), truncated)
    }
}
