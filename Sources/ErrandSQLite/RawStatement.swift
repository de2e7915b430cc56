import GRDB
import GRDBSQLite

/// A value bound to a statement parameter.
enum SQLValue {
    case text(String)
    case integer(Int64)
    case real(Double)
    case null
}

/// Binds parameters and reads columns through the SQLite C API.
///
/// The hot paths (enqueue, claim, finish) run one prepared statement per task; GRDB's `StatementArguments` and
/// `Row` allocate and dispatch generically per value, which cost more than SQLite itself did. This binds and reads in
/// place. A statement is reset before and after each use, so it never holds a read lock or stale bindings.
struct RawStatement {
    let statement: Statement
    private var handle: SQLiteStatement { statement.sqliteStatement }
    private var index: Int32 = 1

    init(_ statement: Statement) {
        self.statement = statement
    }

    /// Binds the next parameter.
    mutating func bind(_ value: String?) {
        if let value {
            sqlite3_bind_text(handle, index, value, -1, Self.transient)
        } else {
            sqlite3_bind_null(handle, index)
        }
        index += 1
    }

    mutating func bind(_ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        index += 1
    }

    mutating func bind(_ value: Int) { bind(Int64(value)) }

    mutating func bind(_ value: Double) {
        sqlite3_bind_double(handle, index, value)
        index += 1
    }

    mutating func bind(_ value: Double?) {
        if let value {
            bind(value)
        } else {
            sqlite3_bind_null(handle, index)
            index += 1
        }
    }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: SQLValue) {
        switch value {
        case .text(let text): bind(text)
        case .integer(let number): bind(number)
        case .real(let number): bind(number)
        case .null: bind(nil as Int64?)
        }
    }

    /// Runs a statement that returns no rows, with parameters bound by `bind`.
    static func execute(_ db: Database, _ statement: Statement, bind: (inout RawStatement) -> Void) throws {
        try each(db, statement, bind: bind) { _ in }
    }

    /// Runs a query with parameters bound by `bind`, calling `row` for each row while it is current.
    static func each(
        _ db: Database,
        _ statement: Statement,
        bind: (inout RawStatement) -> Void,
        row: (Columns) throws -> Void
    ) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        defer { sqlite3_reset(handle) }
        var raw = RawStatement(statement)
        bind(&raw)
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                    sql: statement.sql
                )
            }
            try row(Columns(handle: handle))
        }
    }

    /// SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The current row of a query, read by column position.
///
/// The plain readers (`int`, `text`, …) convert as SQLite does; the checked ones (`integer`, `real`, `string`) refuse a
/// value of another storage class (text in a numeric column reads as 0 otherwise) or text that is not UTF-8, so a row
/// damaged outside Errand is found instead of silently read.
struct Columns {
    let handle: SQLiteStatement

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: pointer)
    }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// An integer, or `nil` when the column holds NULL; throws for any other storage class.
    func integer(_ column: Int32) throws(ColumnProblem) -> Int64? {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: return int64(column)
        default: throw problem(column, "is not an integer")
        }
    }

    /// A number (integer or real), or `nil` for NULL; throws for text or a blob.
    func real(_ column: Int32) throws(ColumnProblem) -> Double? {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER, SQLITE_FLOAT:
            let value = double(column)
            guard value.isFinite else { throw problem(column, "is not a finite number") }
            return value
        default: throw problem(column, "is not a number")
        }
    }

    /// UTF-8 text, or `nil` for NULL; throws for another storage class or bytes that are not UTF-8.
    func string(_ column: Int32) throws(ColumnProblem) -> String? {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return nil
        case SQLITE_TEXT:
            guard let pointer = sqlite3_column_text(handle, column) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let text = String(validating: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self) else {
                throw ColumnProblem(column: column, reason: "is not UTF-8 text", value: "\(count) bytes")
            }
            return text
        default: throw problem(column, "is not text")
        }
    }

    private func problem(_ column: Int32, _ reason: String) -> ColumnProblem {
        let shown = text(column).map { String($0.prefix(80)) } ?? "NULL"
        return ColumnProblem(column: column, reason: reason, value: shown)
    }
}

/// A column value that does not fit its column: its position, what is wrong, and the value as text.
struct ColumnProblem: Error {
    var column: Int32
    var reason: String
    var value: String
}
