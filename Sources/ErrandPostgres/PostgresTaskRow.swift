import ErrandCore
import ErrandStore
import Foundation
import PostgresNIO

/// Reads task and attempt rows, and writes transition results as one JSON parameter per batch.
enum PostgresTaskRow {
    /// The task columns in the order `decode` reads them (`tags` as text, since it is stored as jsonb).
    static let columnList = TaskColumns.task.map { $0 == "tags" ? "tags::text" : $0 }.joined(separator: ", ")

    /// How many columns `columnList` names.
    static let columnCount = TaskColumns.task.count

    /// The same columns qualified by a table alias.
    static func columns(_ alias: String) -> String {
        TaskColumns.task.map { $0 == "tags" ? "\(alias).tags::text" : "\(alias).\($0)" }.joined(separator: ", ")
    }

    /// Decodes a row selected with `columnList`, checking what the column types do not: known states and locality,
    /// tags, and that `arguments` (what a handler gets) is JSON.
    /// - Throws: ``StoreError`` `.corrupt` naming the task when a value does not fit the model.
    static func decode(_ row: PostgresRow) throws -> TaskRecord {
        let cells = row.makeRandomAccess()
        let uuid = try cells[0].decode(UUID.self)
        let id = TaskID(uuid)
        do {
            func date(_ index: Int) throws -> Date { try cells[index].decode(Date.self).wholeMilliseconds }
            func optionalDate(_ index: Int) throws -> Date? { try cells[index].decode(Date?.self)?.wholeMilliseconds }
            let stateText = try cells[6].decode(String.self)
            guard let state = TaskState(rawValue: stateText) else { throw corrupt(id, "state", stateText) }
            let localityText = try cells[40].decode(String.self)
            guard let locality = TaskLocality(rawValue: localityText) else { throw corrupt(id, "locality", localityText) }
            let tagsText = try cells[21].decode(String.self)
            guard let tags = JSONText.strings(tagsText) else { throw corrupt(id, "tags", tagsText) }
            let arguments = try cells[3].decode(String.self)
            guard JSONSyntax.isValid(arguments, allowingTrailingCommas: true) else {
                throw corrupt(id, "arguments", "text that is not JSON: \(arguments)")
            }
            let meta = try cells[47].decode(String?.self)
            if let meta, !JSONSyntax.isValid(meta, allowingTrailingCommas: true) { throw corrupt(id, "meta", "text that is not JSON: \(meta)") }
            return TaskRecord(
                id: id,
                queue: try cells[1].decode(String.self),
                handler: try cells[2].decode(String.self),
                arguments: arguments,
                priority: try cells[4].decode(Int.self),
                runAt: try date(5),
                state: state,
                attempt: try cells[7].decode(Int.self),
                chargedAttempts: try cells[8].decode(Int.self),
                retry: RetryPolicy(
                    maxAttempts: try cells[9].decode(Int.self),
                    delay: try cells[10].decode(Double.self),
                    delayFactor: try cells[11].decode(Double.self),
                    maxDelay: try cells[12].decode(Double.self),
                    jitter: try cells[13].decode(Double.self),
                    priorityDecrement: try cells[14].decode(Int.self)
                ),
                timeToResolve: try cells[15].decode(Double.self),
                idempotencyKey: try cells[16].decode(String?.self),
                parentID: try cells[17].decode(UUID?.self).map { TaskID($0) },
                rootID: try cells[18].decode(UUID?.self).map { TaskID($0) },
                module: try cells[19].decode(String?.self),
                isInternal: try cells[20].decode(Bool.self),
                tags: tags,
                createdAt: try date(22),
                startedAt: try optionalDate(23),
                finishedAt: try optionalDate(24),
                result: try cells[25].decode(String?.self),
                message: try cells[26].decode(String?.self),
                lastError: try cells[27].decode(String?.self),
                worker: try cells[28].decode(String?.self),
                leaseExpiresAt: try optionalDate(29),
                name: try cells[30].decode(String?.self),
                timeout: try cells[31].decode(Double?.self),
                meta: meta,
                fixedLease: try cells[48].decode(Bool.self),
                requires: Requirement.tags(ofKey: try cells[49].decode(String?.self)),
                progressCompleted: try cells[32].decode(Double?.self),
                progressTotal: try cells[33].decode(Double?.self),
                tree: TaskTreeFields.Values(
                    progressUnits: try cells[34].decode(String?.self),
                    type: try cells[35].decode(String?.self),
                    scope: try cells[36].decode(String?.self),
                    entity: try cells[37].decode(String?.self),
                    keyspace: try cells[38].decode(String?.self),
                    table: try cells[39].decode(String?.self),
                    locality: locality,
                    isAbortable: try cells[41].decode(Bool.self),
                    sequenceNumber: try cells[42].decode(Int?.self),
                    isUserTask: try cells[43].decode(Bool.self),
                    targetWorker: try cells[44].decode(String?.self),
                    hasChildren: try cells[45].decode(Bool.self),
                    isFolded: try cells[46].decode(Bool.self)
                )
            )
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.corrupt, "task \(id) is corrupt: \(error)")
        }
    }

    private static func corrupt(_ id: TaskID, _ column: String, _ value: String) -> StoreError {
        StoreError(.corrupt, "task \(id) is corrupt: column \(column) holds \(value.prefix(80))")
    }

    static func decodeAttempt(_ row: PostgresRow) throws -> Attempt {
        let cells = row.makeRandomAccess()
        let id = TaskID(try cells[0].decode(UUID.self))
        let outcomeText = try cells[6].decode(String.self)
        guard let outcome = AttemptOutcome(rawValue: outcomeText) else { throw corrupt(id, "attempt.outcome", outcomeText) }
        return Attempt(
            taskID: id,
            number: try cells[1].decode(Int.self),
            handler: try cells[2].decode(String.self),
            worker: try cells[3].decode(String.self),
            startedAt: try cells[4].decode(Date.self).wholeMilliseconds,
            finishedAt: try cells[5].decode(Date.self).wholeMilliseconds,
            outcome: outcome,
            message: try cells[7].decode(String?.self),
            result: try cells[8].decode(String?.self),
            salvagedBy: try cells[9].decode(String?.self),
            salvagedAt: try cells[10].decode(Date?.self)?.wholeMilliseconds
        )
    }

    // MARK: writing transition results

    /// The columns a ``TaskTransition`` may change after enqueue, as a `json_to_recordset` column list.
    static let transitionRecord = """
        id uuid, priority int, run_at bigint, state text, attempt int, charged_attempts int, max_attempts int, \
        started_at bigint, finished_at bigint, result text, message text, last_error text, worker text, \
        lease_expires_at bigint, version text
        """

    /// One row of `transitionRecord` per task, as a JSON array; times are milliseconds since 1970. `version` is the
    /// stored row's `xmin` the task was read at, for writes guarded by it.
    static func transitionJSON(_ tasks: [TaskRecord], versions: [TaskID: String]) -> String {
        var json = JSONText.Builder()
        json.array(tasks) { json, task in
            json.field("id", task.id.rawValue)
            json.field("priority", task.priority)
            json.field("run_at", task.runAt.millisecondsSince1970)
            json.field("state", task.state.rawValue)
            json.field("attempt", task.attempt)
            json.field("charged_attempts", task.chargedAttempts)
            json.field("max_attempts", task.retry.maxAttempts)
            json.field("started_at", task.startedAt?.millisecondsSince1970)
            json.field("finished_at", task.finishedAt?.millisecondsSince1970)
            json.field("result", task.result)
            json.field("message", task.message)
            json.field("last_error", task.lastError)
            json.field("worker", task.worker)
            json.field("lease_expires_at", task.leaseExpiresAt?.millisecondsSince1970)
            json.field("version", versions[task.id])
        }
        return json.text
    }

    static let attemptRecord = """
        task_id uuid, number int, handler text, worker text, started_at bigint, finished_at bigint, outcome text, \
        message text, result text, salvaged_by text, salvaged_at bigint
        """

    /// The attempt columns in the order `decodeAttempt` reads them.
    static let attemptColumns = TaskColumns.attempt

    static func attemptJSON(_ attempts: [Attempt]) -> String {
        var json = JSONText.Builder()
        json.array(attempts) { json, attempt in
            json.field("task_id", attempt.taskID.rawValue)
            json.field("number", attempt.number)
            json.field("handler", attempt.handler)
            json.field("worker", attempt.worker)
            json.field("started_at", attempt.startedAt.millisecondsSince1970)
            json.field("finished_at", attempt.finishedAt.millisecondsSince1970)
            json.field("outcome", attempt.outcome.rawValue)
            json.field("message", attempt.message)
            json.field("result", attempt.result)
            json.field("salvaged_by", attempt.salvagedBy)
            json.field("salvaged_at", attempt.salvagedAt?.millisecondsSince1970)
        }
        return json.text
    }
}
