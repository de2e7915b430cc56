import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How the `errand` process asks glibc's allocator to give memory back.
///
/// glibc serves an allocation of 128 KiB or more with its own `mmap`, and unmaps it when freed, but after such a
/// free it raises that threshold (up to 32 MiB), so that later large buffers (request bodies, big arguments) come from
/// the heap arenas, which keep freed memory. A server that once took ten 10 MiB bodies at a time then held
/// 150 MiB more for good, though nothing leaked: with the threshold fixed, RSS went back to within 20 MiB of its start
/// after the same abuse (`docs/reliability.md`). Fixing it costs an `mmap`/`munmap` per large allocation, which only
/// large requests make. `MALLOC_MMAP_THRESHOLD_` in the environment, if set, wins.
enum MemoryPolicy {
    /// Fixes glibc's mmap threshold at 128 KiB (`M_MMAP_THRESHOLD`), unless the environment chose one.
    static func apply() {
        #if canImport(Glibc)
            guard ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return }
            // mallopt(3) is not in Swift's Glibc module; glibc exports it.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in <malloc.h>
            _ = mallopt(mmapThreshold, 128 * 1024)
        #endif
    }
}
