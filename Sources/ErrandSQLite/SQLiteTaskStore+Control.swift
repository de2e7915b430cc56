import ErrandCore
import ErrandStore
import Foundation
import GRDB

extension SQLiteTaskStore {
    public func cancel(_ id: TaskID, reason: String?, now: Date) async throws -> TaskRecord {
        let task = try await write { db in try Self.transition(db, id, .cancel(reason: reason), now: now) }
        changeSignal.notify()
        return task
    }

    public func retry(_ id: TaskID, now: Date) async throws -> TaskRecord {
        let task = try await write { db in try Self.transition(db, id, .retry, now: now) }
        changeSignal.notify()
        return task
    }
}
