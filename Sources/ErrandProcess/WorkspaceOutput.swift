import Errand
import ErrandCore
import Foundation

/// What a handler left in its workspace's `output/`: `payload` (the result), `message`, and `postHooks.json`
/// (follow-up tasks, a JSON array of task specs).
struct WorkspaceOutput {
    /// The result as JSON text: the payload verbatim when it is JSON, else as a JSON string; `nil` without a file.
    var result: String?
    var message: String?
    var followUps: [NewTask] = []

    /// The fields of pftaskqueue's TaskSpec.
    static let pftaskqueueKeys: Set<String> = ["name", "payload", "retryLimit", "timeoutSeconds"]

    /// Largest `postHooks.json` read, in bytes.
    static let followUpsLimit = 16 << 20

    /// Reads the outputs of `task`'s attempt in `workspace`; payload and message are cut to `limit` bytes, marked.
    /// - Throws: ``OutputError`` naming the file that cannot be read or is malformed.
    init(workspace: String, task: TaskRecord, limit: Int, postHooks: ProcessWorkerConfiguration.PostHooks = .errand) throws(OutputError) {
        if let payload = try Self.text("\(workspace)/output/payload", limit: limit) {
            result = JSONText.problem(payload) == nil && !payload.isEmpty ? payload : Self.jsonString(payload)
        }
        message = try Self.text("\(workspace)/output/message", limit: limit)
        let hooks = "\(workspace)/output/postHooks.json"
        guard let text = try Self.text(hooks, limit: Self.followUpsLimit, cut: false) else { return }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw OutputError(path: hooks, reason: "is not valid JSON" + (detail.map { " (\($0))" } ?? ""))
        }
        guard var list = document as? [Any] else { throw OutputError(path: hooks, reason: "must be a JSON array of task specs") }
        if postHooks == .pftaskqueue {
            // pftaskqueue's TaskSpec fields only; Go's decoder drops the rest.
            list = list.map { item in (item as? [String: Any])?.filter { Self.pftaskqueueKeys.contains($0.key) } ?? item }
        }
        for (index, item) in list.enumerated() {
            guard let spec = item as? [String: Any] else { continue }
            for key in ["queue", "parent_id", "idempotency_key"] where spec[key] != nil {
                let reason =
                    key == "queue" && (spec[key] as? String) == task.queue
                    ? nil : "is not allowed: a follow-up goes to its task's queue, as a child of it, without a key"
                if let reason { throw OutputError(path: hooks, reason: "[\(index)].\(key) \(reason)") }
            }
        }
        do {
            var base = NewTask(handler: "", queue: task.queue)
            if postHooks == .pftaskqueue { base.retry.delay = 0 }  // retried at once, as pftaskqueue does
            followUps = try TaskSpec.tasks(in: list, defaults: base)
        } catch {
            throw OutputError(path: hooks, reason: "\(error)")
        }
    }

    /// The file's text, or `nil` when there is none; at most `limit` bytes, with a marker when cut.
    private static func text(_ path: String, limit: Int, cut: Bool = true) throws(OutputError) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else {
            throw OutputError(path: path, reason: isDirectory.boolValue ? "is a directory" : "cannot be read")
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw OutputError(path: path, reason: "cannot be read: \(error.localizedDescription)")
        }
        guard data.count > limit else { return String(decoding: data, as: UTF8.self) }
        guard cut else { throw OutputError(path: path, reason: "is larger than \(limit) bytes") }
        // Cut on a character boundary: drop continuation bytes of a split UTF-8 sequence.
        var kept = data.prefix(limit)
        while let last = kept.last, last & 0xC0 == 0x80 { kept.removeLast() }
        if let last = kept.last, last & 0xC0 == 0xC0 { kept.removeLast() }
        return String(decoding: kept, as: UTF8.self) + "…[truncated: \(max(size, data.count)) bytes in all, \(limit) kept]"
    }

    private static func jsonString(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// An output file that cannot be read or is malformed: the attempt ends `internal_error`.
struct OutputError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\((path as NSString).lastPathComponent) \(reason)" }
}
