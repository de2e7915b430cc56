import ErrandCore
import ErrandStore
import Foundation
import NIOCore

/// New task rows in `COPY … FROM STDIN` text format, the cheapest way into PostgreSQL for a big batch: no statement
/// per row and no parameters to bind, and the server writes whole pages of rows at once.
extension PostgresTaskRow {
    /// The columns `copyText` writes, in order.
    static let copyColumns = TaskColumns.enqueued

    /// How many leading `copyColumns` a batch of tasks with only default tree fields, no meta and no fixed lease writes.
    static let plainCopyColumnCount = copyColumns.firstIndex(of: "progress_units") ?? copyColumns.count

    /// The columns a batch writes: all, or the leading ones when no task has a tree field set.
    static func copyColumns(plain: Bool) -> [String] { plain ? Array(copyColumns.prefix(plainCopyColumnCount)) : copyColumns }

    /// One line per new task (state, attempts and times as ``TaskTransition/enqueue(_:id:now:)`` set them); with
    /// `plain`, without the tree columns.
    static func copyText(_ records: [TaskRecord], plain: Bool = false) -> ByteBuffer {
        var line = CopyLine()
        line.bytes.reserveCapacity(records.count * 256)
        for task in records {
            line.text(task.id.rawValue)
            line.text(task.queue)
            line.text(task.handler)
            line.text(task.arguments)
            line.number(task.priority)
            line.timestamp(task.runAt)
            line.text(task.state.rawValue)
            line.number(task.attempt)
            line.number(task.chargedAttempts)
            line.number(task.retry.maxAttempts)
            line.number(task.retry.delay)
            line.number(task.retry.delayFactor)
            line.number(task.retry.maxDelay)
            line.number(task.retry.jitter)
            line.number(task.retry.priorityDecrement)
            line.number(task.timeToResolve)
            line.text(task.idempotencyKey)
            line.text(task.parentID?.rawValue)
            line.text(task.rootID?.rawValue)
            line.text(task.module)
            line.text(task.isInternal ? "t" : "f")
            line.text(JSONText.array(task.tags))
            line.timestamp(task.createdAt)
            line.text(task.name)
            if let timeout = task.timeout { line.number(timeout) } else { line.text(nil) }
            if plain {
                line.end()
                continue
            }
            line.text(task.progressUnits)
            line.text(task.type)
            line.text(task.scope)
            line.text(task.entity)
            line.text(task.keyspace)
            line.text(task.table)
            line.text(task.locality.rawValue)
            line.text(task.isAbortable ? "t" : "f")
            if let sequence = task.sequenceNumber { line.number(sequence) } else { line.text(nil) }
            line.text(task.isUserTask ? "t" : "f")
            line.text(task.targetWorker)
            line.text(task.meta)
            line.text(task.fixedLease ? "t" : "f")
            line.text(Requirement.key(task.requires))
            line.end()
        }
        return ByteBuffer(bytes: line.bytes)
    }

    /// Whether `copyText` can write the task: its times fall in the years 1970 through 9999 (others take `INSERT`).
    static func fitsCopy(_ task: TaskRecord) -> Bool {
        copyableTimes.contains(task.runAt) && copyableTimes.contains(task.createdAt)
    }

    private static let copyableTimes = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799)
}

/// Writes lines of COPY text: fields separated by tabs, `\N` for NULL, backslash escapes for the characters the
/// format reserves.
private struct CopyLine {
    var bytes: [UInt8] = []
    private var first = true

    private mutating func separate() {
        if !first { bytes.append(UInt8(ascii: "\t")) }
        first = false
    }

    mutating func text(_ value: String?) {
        separate()
        guard let value else {
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        let utf8 = value.utf8
        if !utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            bytes.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: "\\r".utf8)
            case ..<0x20: bytes.append(contentsOf: String(format: "\\%03o", byte).utf8)
            default: bytes.append(byte)
            }
        }
    }

    mutating func number(_ value: Int) {
        separate()
        integer(Int64(value))
    }

    mutating func number(_ value: Double) {
        separate()
        // Whole numbers (most settings) without going through text conversion; others as the shortest text that
        // reads back as the same double. Validation keeps these finite.
        if value.rounded() == value, abs(value) < 1e15 {
            integer(Int64(value))
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.mmm+00`, to the millisecond as stored.
    mutating func timestamp(_ date: Date) {
        separate()
        let (seconds, milliseconds) = Int64((date.timeIntervalSince1970 * 1000).rounded()).dividedRoundingDown(by: 1000)
        let utc = WallTime(seconds: seconds)
        digits(Int64(utc.year), 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int64(utc.month), 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int64(utc.day), 2)
        bytes.append(UInt8(ascii: " "))
        digits(Int64(utc.hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int64(utc.minute), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int64(utc.second), 2)
        bytes.append(UInt8(ascii: "."))
        digits(milliseconds, 3)
        bytes.append(contentsOf: [UInt8(ascii: "+"), UInt8(ascii: "0"), UInt8(ascii: "0")])
    }

    mutating func end() {
        bytes.append(UInt8(ascii: "\n"))
        first = true
    }

    private mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var reversed:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &reversed) { digits in
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
        }
    }

    /// `value` in exactly `width` decimal digits (values here are never negative).
    private mutating func digits(_ value: Int64, _ width: Int) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
