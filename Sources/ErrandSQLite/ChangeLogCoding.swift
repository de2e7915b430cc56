import ErrandCore
import ErrandStore
import Foundation

/// The binary form of a log row's changes (``ChangeLog``), read back by ``decode(_:)``:
///
/// ```
/// 2                                   format version
/// n, n × (length, UTF-8 bytes)        the names of the row: queues, handlers, states, workers
/// per change, to the end:
///   0, 16 bytes                       the task id as a UUID (1, length, UTF-8 bytes: any other id)
///   queue, handler                    indexes into the names
///   from                              0 for a new task, else a name's index + 1
///   to, attempt
///   priority                          zigzag-coded
///   retries left + 1                  0 for no limit
///   worker                            0 for none, else a name's index + 1
///   outcome                           0 for none, else 1 | 2 (truncated) | 4 (result) | 8 (message) | 16 (error),
///                                     then the texts it has, each as length, UTF-8 bytes
/// ```
///
/// Numbers are unsigned LEB128 varints, so a change of a UUID task is about 24 bytes. Rows of format 1 (before
/// changes carried the task) end each change after its attempt.
enum ChangeLogCoding {
    struct Encoder {
        private var nameIndexes: [String: UInt64] = [:]
        private var names: [String] = []
        private var entries: [UInt8] = []
        private(set) var count = 0

        mutating func append(_ task: TaskRecord, replacing old: TaskRecord?) {
            if let uuid = Self.uuidBytes(task.id.rawValue) {
                entries.append(0)
                entries.append(contentsOf: uuid)
            } else {
                entries.append(1)
                ChangeLogCoding.appendText(task.id.rawValue, to: &entries)
            }
            ChangeLogCoding.appendVarint(index(task.queue), to: &entries)
            ChangeLogCoding.appendVarint(index(task.handler), to: &entries)
            ChangeLogCoding.appendVarint(old.map { index($0.state.rawValue) + 1 } ?? 0, to: &entries)
            ChangeLogCoding.appendVarint(index(task.state.rawValue), to: &entries)
            ChangeLogCoding.appendVarint(UInt64(max(0, task.attempt)), to: &entries)
            let priority = Int64(task.priority)
            ChangeLogCoding.appendVarint(UInt64(bitPattern: (priority << 1) ^ (priority >> 63)), to: &entries)
            ChangeLogCoding.appendVarint(UInt64(StateChange.retriesLeft(task) + 1), to: &entries)
            ChangeLogCoding.appendVarint((task.worker ?? old?.worker).map { index($0) + 1 } ?? 0, to: &entries)
            if let outcome = StateChange.Outcome.of(task, from: old?.state) {
                let texts = [outcome.result, outcome.message, outcome.error]
                var flags: UInt8 = outcome.truncated ? 3 : 1
                for (bit, text) in zip([4, 8, 16] as [UInt8], texts) where text != nil { flags |= bit }
                entries.append(flags)
                for text in texts.compactMap(\.self) { ChangeLogCoding.appendText(text, to: &entries) }
            } else {
                entries.append(0)
            }
            count += 1
        }

        /// The row's value: version, names, changes.
        func bytes() -> Data {
            var head: [UInt8] = [2]
            ChangeLogCoding.appendVarint(UInt64(names.count), to: &head)
            for name in names { ChangeLogCoding.appendText(name, to: &head) }
            return Data(head + entries)
        }

        private mutating func index(_ name: String) -> UInt64 {
            if let index = nameIndexes[name] { return index }
            let index = UInt64(names.count)
            names.append(name)
            nameIndexes[name] = index
            return index
        }

        /// The 16 bytes of a canonical lowercase UUID text, or `nil` for any other text.
        private static func uuidBytes(_ text: String) -> [UInt8]? {
            let utf8 = text.utf8
            guard utf8.count == 36 else { return nil }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16)
            var high: UInt8?
            for (offset, character) in utf8.enumerated() {
                if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                    guard character == UInt8(ascii: "-") else { return nil }
                    continue
                }
                let nibble: UInt8
                switch character {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
                default: return nil
                }
                if let first = high {
                    bytes.append(first << 4 | nibble)
                    high = nil
                } else {
                    high = nibble
                }
            }
            return bytes
        }
    }

    /// The changes of a row's value, or `nil` when it is not one this coding wrote.
    static func decode(_ data: Data) -> [LoggedChange]? {
        var reader = Reader(bytes: [UInt8](data))
        guard let format = reader.byte(), format == 1 || format == 2, let nameCount = reader.varint(), nameCount <= UInt64(data.count)
        else { return nil }
        var names: [String] = []
        for _ in 0..<nameCount {
            guard let name = reader.text() else { return nil }
            names.append(name)
        }
        func name(_ index: UInt64?) -> String? { index.flatMap { $0 < UInt64(names.count) ? names[Int($0)] : nil } }
        var changes: [LoggedChange] = []
        while !reader.atEnd {
            let id: String?
            switch reader.byte() {
            case 0: id = reader.uuid()
            case 1: id = reader.text()
            default: id = nil
            }
            guard let id, let queue = name(reader.varint()), let handler = name(reader.varint()), let fromCode = reader.varint()
            else { return nil }
            let from = fromCode == 0 ? nil : name(fromCode - 1)
            guard fromCode == 0 || from != nil, let to = name(reader.varint()), let attempt = reader.varint(), attempt <= UInt64(Int32.max)
            else { return nil }
            var change = LoggedChange(taskID: id, queue: queue, handler: handler, from: from, to: to, attempt: Int(attempt))
            if format == 2 {
                guard reader.task(into: &change, names: names) else { return nil }
            }
            changes.append(change)
        }
        return changes
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    static func appendText(_ text: String, to bytes: inout [UInt8]) {
        appendVarint(UInt64(text.utf8.count), to: &bytes)
        bytes.append(contentsOf: text.utf8)
    }

    /// Reads a row's bytes front to back; every read answers `nil` past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let byte = byte() else { return nil }
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte < 0x80 { return value }
            }
            return nil
        }

        /// Format 2's fields after the attempt: priority, retries left, worker, outcome. `false` when they do not read.
        mutating func task(into change: inout LoggedChange, names: [String]) -> Bool {
            guard let zigzag = varint(), let retries = varint(), retries <= UInt64(Int32.max) + 1, let workerCode = varint(),
                workerCode <= UInt64(names.count), let flags = byte(), flags & ~31 == 0, flags == 0 || flags & 1 == 1
            else { return false }
            let priority = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            guard let priority = Int(exactly: priority) else { return false }
            change.priority = priority
            change.retriesLeft = Int(retries) - 1
            change.worker = workerCode == 0 ? nil : names[Int(workerCode - 1)]
            guard flags != 0 else { return true }
            var texts: [String?] = []
            for bit in [4, 8, 16] as [UInt8] {
                if flags & bit == 0 {
                    texts.append(nil)
                } else {
                    guard let text = text() else { return false }
                    texts.append(text)
                }
            }
            change.outcome = StateChange.Outcome(result: texts[0], message: texts[1], error: texts[2], truncated: flags & 2 != 0)
            return true
        }

        mutating func text() -> String? {
            guard let length = varint(), length <= UInt64(bytes.count - offset) else { return nil }
            defer { offset += Int(length) }
            return String(decoding: bytes[offset..<offset + Int(length)], as: UTF8.self)
        }

        mutating func uuid() -> String? {
            guard bytes.count - offset >= 16 else { return nil }
            let hex = Array("0123456789abcdef".utf8)
            var text: [UInt8] = []
            text.reserveCapacity(36)
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
                let byte = bytes[offset + index]
                text.append(hex[Int(byte >> 4)])
                text.append(hex[Int(byte & 0x0F)])
            }
            offset += 16
            return String(decoding: text, as: UTF8.self)
        }
    }
}
