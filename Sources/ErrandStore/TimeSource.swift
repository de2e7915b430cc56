public import Foundation

/// Where the engine reads the time and how it sleeps. The one seam tests replace (with `ManualTimeSource`).
public protocol TimeSource: Sendable {
    /// The current time.
    var now: Date { get }
    /// Returns at or after `deadline`, or throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The wall clock.
public struct SystemTimeSource: TimeSource {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .seconds(seconds)) } else { try Task.checkCancellation() }
    }
}
