public import Foundation

/// A directory that exists for the length of a test and is removed afterwards.
public enum TemporaryDirectory {
    /// Creates a fresh directory, passes it to `body`, and removes it when `body` returns or throws.
    public static func with<T>(_ body: (URL) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("errand-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(url)
    }
}
