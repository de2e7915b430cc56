import Foundation
public import Testing

/// Polls `condition` until it holds or `timeout` seconds of real time pass; records a failure on timeout.
///
/// For tests that wait on other tasks or processes: it never sleeps a fixed time, it checks every `every` seconds
/// (5 ms by default; give more when each check starts a process, so that checking does not starve what it waits on)
/// up to a deadline. The default deadline is generous (30 s): it costs nothing when the condition comes true, and on a
/// loaded 2-core machine the tests' synchronous process handling can hold the cooperative threads for seconds.
@discardableResult
public func eventually(
    timeout: Double = 30,
    every interval: Double = 0.005,
    _ what: @autoclosure () -> String = "condition",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
    }
    if try await condition() { return true }
    Issue.record("timed out after \(timeout) s waiting for \(what())", sourceLocation: sourceLocation)
    return false
}

extension Tag {
    /// Tests that take real time: several `errand` processes, a PostgreSQL of their own stopped and started, schedules
    /// that fire every second. `scripts/test` runs them as a step of their own, after the rest, so that they neither
    /// slow the fast tests down nor are starved by them.
    @Tag public static var realTime: Self
}
