import Logging
import Synchronization

/// A logger whose messages a test can read back.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// Every message logged so far, oldest first.
    var messages: [String] { lines.withLock { $0 } }

    /// A logger writing here, at every level.
    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }
}
