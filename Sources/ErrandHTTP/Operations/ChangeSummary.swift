import ErrandCore
import ErrandStore
import Foundation

/// What a window of state changes did, for `GET /v1/events?coalesce=MS`: one `summary` event instead of one
/// `transition` per change, so that a drain of tens of thousands of tasks a second is a few events a second to a
/// dashboard.
struct ChangeSummary {
    /// Task ids a summary lists; past this, it says `more_tasks` instead.
    static let listedTasks = 100

    private(set) var changes = 0
    /// Net change of each queue's count in each state: a creation adds one to its state, a transition moves one.
    private var deltas: [String: [TaskState: Int]] = [:]
    private var taskIDs: [String] = []
    private var listed: Set<String> = []
    private var moreTasks = false

    var isEmpty: Bool { changes == 0 }

    mutating func add(_ change: StateChange) {
        changes += 1
        if let from = change.from { deltas[change.queue, default: [:]][from, default: 0] -= 1 }
        deltas[change.queue, default: [:]][change.to, default: 0] += 1
        let id = change.taskID.rawValue
        guard !listed.contains(id) else { return }
        if taskIDs.count < Self.listedTasks {
            taskIDs.append(id)
            listed.insert(id)
        } else {
            moreTasks = true
        }
    }

    /// The summary as a server-sent event whose id is `cursor`, the last change read (filtered out or not).
    func event(cursor: String) -> String {
        let queues: [(String, OutputJSON)] = deltas.keys.sorted().map { queue in
            let states = (deltas[queue] ?? [:]).filter { $0.value != 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
            return (queue, .object(states.map { ($0.key.rawValue, .int($0.value)) }))
        }
        let data: OutputJSON = .object([
            ("changes", .int(changes)),
            ("queues", .object(queues)),
            ("task_ids", .array(taskIDs.map { .string($0) })),
            ("more_tasks", .bool(moreTasks)),
        ])
        return "id: \(cursor)\nevent: summary\ndata: \(data.text)\n\n"
    }
}
