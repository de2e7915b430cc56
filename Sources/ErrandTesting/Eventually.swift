import Foundation
import Testing

/// Polls `condition` until it holds or `timeout` seconds of real time pass; records a failure on timeout.
///
/// For tests that wait on other tasks or processes: it never sleeps a fixed time, it checks every few milliseconds
/// up to a deadline.
@discardableResult
public func eventually(
    timeout: Double = 10,
    _ what: @autoclosure () -> String = "condition",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    if try await condition() { return true }
    Issue.record("timed out after \(timeout) s waiting for \(what())", sourceLocation: sourceLocation)
    return false
}
