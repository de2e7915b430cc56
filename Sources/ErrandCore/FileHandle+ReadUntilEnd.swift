public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    public import Darwin
#endif

extension FileHandle {
    /// Reads the file or pipe to its end with `read(2)`, retrying a read that a signal interrupted.
    ///
    /// Foundation's `readDataToEndOfFile()` stops the process with a fatal error when a read returns `EINTR`
    /// (seen in CI while child processes exited around the reader); this reads the same bytes and throws only for
    /// a real error.
    public func readUntilEnd() throws -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                return data
            } else if errno != EINTR {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        }
    }
}

#if canImport(Glibc)
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    private let systemRead = Darwin.read
#endif
