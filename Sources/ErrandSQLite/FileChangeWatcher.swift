import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Calls `changed` soon after any process writes the database's write-ahead log (every commit in WAL mode), and
/// never while nothing does: an idle store costs no wake-ups. `changed` answers what it found (``Look``); when it
/// found nothing yet (the commit was not visible yet), it is asked again after 1 and 5 ms.
///
/// On Linux it waits on inotify for writes to the files in the database's directory (the directory, so that a log
/// that is deleted and created again is still seen), on a thread of its own, since the wait blocks. Writes that come
/// in a burst are reported once per `coalescing` interval. Elsewhere, or when inotify cannot be used, it falls back to
/// looking at `PRAGMA data_version` every `coalescing` interval (the caller's `poll`).
///
/// The watch is set up by `init`; the waiting is done by ``run()``, for as long as it runs.
final class FileChangeWatcher: Sendable {
    /// What a look after a write found.
    enum Look {
        /// Another process committed: reported.
        case changed
        /// Nothing new, and the write was most likely this process's own: no need to look again.
        case ownWrite
        /// Nothing yet: another process's commit may not be visible yet; look again shortly.
        case notYet
    }

    /// An inotify watch and the pipe that wakes its thread to stop.
    private struct Watch {
        var descriptor: Int32
        var names: Set<String>
        var stopRead: Int32
        var stopWrite: Int32
    }

    private let watch: Watch?
    private let stopped = Atomic<Bool>(false)
    private let coalescing: Duration
    private let poll: @Sendable () -> Bool
    private let changed: @Sendable () -> Look

    /// Starts watching `path` (a database file). The watch is in place when this returns, so every later write is
    /// reported once ``run()`` runs.
    /// - Parameters:
    ///   - poll: the fallback check, true when another connection committed since the last call.
    init(path: String, coalescing: Duration, poll: @escaping @Sendable () -> Bool, changed: @escaping @Sendable () -> Look) {
        self.coalescing = coalescing
        self.poll = poll
        self.changed = changed
        watch = Self.watch(path: path)
    }

    /// Reports changes until cancelled or ``stop()``ped.
    func run() async {
        #if canImport(Glibc)
            if let watch {
                let (coalescing, changed) = (self.coalescing, self.changed)
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        let thread = Thread {
                            Self.run(inotify: watch.descriptor, stop: watch.stopRead, names: watch.names, coalescing: coalescing, changed: changed)
                            done.resume()
                        }
                        thread.name = "errand.sqlite.watcher"
                        thread.start()
                    }
                } onCancel: {
                    self.stop()
                }
                return
            }
        #endif
        while !Task.isCancelled, !stopped.load(ordering: .relaxed) {
            try? await Task.sleep(for: coalescing)
            if poll() { _ = changed() }
        }
    }

    /// Stops watching; the thread ends at its next wake-up, which this causes.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        #if canImport(Glibc)
            if let watch {
                var byte: UInt8 = 1
                _ = write(watch.stopWrite, &byte, 1)
            }
        #endif
    }

    deinit {
        #if canImport(Glibc)
            if let watch {
                close(watch.descriptor)
                close(watch.stopRead)
                close(watch.stopWrite)
            }
        #endif
    }

    /// The inotify watch on `path`'s directory and its stop pipe, or `nil` where inotify cannot be used.
    private static func watch(path: String) -> Watch? {
        #if canImport(Glibc)
            guard let watch = inotify(path: path) else { return nil }
            var pipeEnds: [Int32] = [0, 0]
            guard pipe(&pipeEnds) == 0 else {
                close(watch.descriptor)
                return nil
            }
            // Not inherited by child processes (handlers run as children).
            _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
            return Watch(descriptor: watch.descriptor, names: watch.names, stopRead: pipeEnds[0], stopWrite: pipeEnds[1])
        #else
            return nil
        #endif
    }

    #if canImport(Glibc)
        private static func inotify(path: String) -> (descriptor: Int32, names: Set<String>)? {
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            let name = url.lastPathComponent
            let descriptor = inotify_init1(Int32(IN_CLOEXEC))
            guard descriptor >= 0 else { return nil }
            let mask = UInt32(IN_MODIFY) | UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)
            guard inotify_add_watch(descriptor, directory.isEmpty ? "." : directory, mask) >= 0 else {
                close(descriptor)
                return nil
            }
            // In WAL mode every commit goes to the log; the database file changes only by checkpoints, which commit nothing.
            return (descriptor, ["\(name)-wal"])
        }

        /// Waits for events on `inotify` until `stop` becomes readable; reports events on `names` once per `coalescing`.
        private static func run(inotify: Int32, stop: Int32, names: Set<String>, coalescing: Duration, changed: @Sendable () -> Look) {
            let bufferSize = 64 * 1024
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
            defer { buffer.deallocate() }
            let pause = coalescing.components
            let pauseMicroseconds = UInt32(pause.seconds * 1_000_000 + pause.attoseconds / 1_000_000_000_000)
            while true {
                var descriptors = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
                let ready = Glibc.poll(&descriptors, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if descriptors[1].revents != 0 { return }
                let count = read(inotify, buffer, bufferSize)
                guard count > 0 else { continue }
                var offset = 0
                var relevant = false
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let event = buffer.advanced(by: offset).assumingMemoryBound(to: inotify_event.self)
                    let length = Int(event.pointee.len)
                    if length > 0 {
                        let namePointer = buffer.advanced(by: offset + MemoryLayout<inotify_event>.size).assumingMemoryBound(to: CChar.self)
                        if names.contains(String(cString: namePointer)) { relevant = true }
                    }
                    offset += MemoryLayout<inotify_event>.size + length
                }
                guard relevant else { continue }
                // The log is written before its commit is visible: look again shortly when the first look finds nothing.
                retries: for retry in [0, 1_000, 5_000] as [UInt32] {
                    if retry > 0 { usleep(retry) }
                    switch changed() {
                    case .changed:
                        // A burst of commits arrives as a burst of events: let them gather, then report them at once.
                        usleep(pauseMicroseconds)
                        break retries
                    case .ownWrite: break retries
                    case .notYet: continue
                    }
                }
            }
        }
    #endif
}
