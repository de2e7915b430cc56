public import Errand

extension ErrandClient {
    /// A client on the SQLite file at `path`, created and migrated if needed.
    /// - Throws: ``StoreError`` `.unavailable` naming the path when it cannot be opened.
    public static func sqlite(path: String) throws -> ErrandClient {
        ErrandClient(store: try SQLiteTaskStore(path: path))
    }
}
