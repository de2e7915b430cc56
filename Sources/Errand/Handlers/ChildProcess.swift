import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a program as a child process in its own process group, never through a shell.
///
/// Standard input is `/dev/null`; the last ``outputLimit`` bytes of standard output and error are kept. On timeout or
/// cancellation the whole process group gets SIGTERM, then SIGKILL after ``killGrace`` seconds.
struct ChildProcess: Sendable {
    var argv: [String]
    var timeout: Double?
    var killGrace: Double = 5
    var outputLimit: Int = 64 * 1024

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
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }

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
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let spawned = posix_spawnp(&pid, program, &actions, &attributes, cArguments, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(description: "cannot start \(program): \(String(cString: strerror(spawned)))")
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
                let outFD = outPipe[0]
                let errFD = errPipe[0]
                Thread.detachNewThread {
                    let (out, err, truncated) = Self.drain(outFD, errFD, limit: limit)
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

    /// What the reader thread, the timer and the caller share about one child.
    private final class Flags: Sendable {
        let finished = Atomic<Bool>(false)
        let timedOut = Atomic<Bool>(false)
    }

    /// Reads both pipes to end of file, keeping the last `limit` bytes of each. Blocks its thread.
    private static func drain(_ outFD: Int32, _ errFD: Int32, limit: Int) -> (String, String, Bool) {
        var buffers: [Int32: [UInt8]] = [outFD: [], errFD: []]
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
                    buffers[entry.fd, default: []].append(contentsOf: chunk[0..<count])
                    if let size = buffers[entry.fd]?.count, size > limit {
                        buffers[entry.fd]?.removeFirst(size - limit)
                        truncated = true
                    }
                } else if count == 0 || errno != EINTR {
                    close(entry.fd)
                    open.remove(entry.fd)
                }
            }
        }
        let text = { (fd: Int32) in String(decoding: buffers[fd] ?? [], as: UTF8.self) }
        return (text(outFD), text(errFD), truncated)
    }
}
