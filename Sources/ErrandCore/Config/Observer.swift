import Foundation

/// A named query run on a schedule, whose result (the matching tasks' ids) is kept as a report: riaktq's observer
/// (`observers:` in the configuration file).
///
/// An observer is a periodical definition (named `observer.NAME`) of the built-in handler `errand.observe`: the
/// leader runs it on its schedule like any definition, each run is a task whose result is the report, the newest
/// `keep` reports are kept, and `/v1/events` announces each as a `report` event.
public struct Observer: Sendable, Hashable {
    /// What `errand.observe` is given: the query, and how many reports to keep.
    public struct Query: Codable, Sendable, Hashable {
        public var observer: String
        /// Any of these states (empty: every state).
        public var states: [TaskState]
        public var queue: String?
        public var handler: String?
        public var tag: String?
        /// Only tasks created at least this many seconds before the run (riaktq's `age`).
        public var age: Double?
        /// Reports kept, the newest.
        public var keep: Int

        public init(
            observer: String,
            states: [TaskState] = [],
            queue: String? = nil,
            handler: String? = nil,
            tag: String? = nil,
            age: Double? = nil,
            keep: Int = 10
        ) {
            self.observer = observer
            self.states = states
            self.queue = queue
            self.handler = handler
            self.tag = tag
            self.age = age
            self.keep = keep
        }
    }

    /// One run's report, the result of its task: `errand.observe` writes it, `errand observer reports` reads it.
    public struct Report: Codable, Sendable, Hashable {
        public var observer: String
        /// When it ran (RFC 3339).
        public var at: String
        /// Every matching task.
        public var count: Int
        /// At most ``Observer/maxReportedIDs`` of them, newest first.
        public var taskIDs: [String]

        enum CodingKeys: String, CodingKey {
            case observer, at, count
            case taskIDs = "task_ids"
        }

        public init(observer: String, at: String, count: Int, taskIDs: [String]) {
            self.observer = observer
            self.at = at
            self.count = count
            self.taskIDs = taskIDs
        }
    }

    public var name: String
    public var query: Query
    public var schedule: CronSchedule
    public var timeZone: String

    /// The handler that runs an observer.
    public static let handler = "errand.observe"
    /// The prefix of an observer's definition name.
    public static let definitionPrefix = "observer."
    /// Most task ids a report lists (its `count` counts them all).
    public static let maxReportedIDs = 1000

    static let keys: Set<String> = ["status", "state", "queue", "handler", "tag", "age", "time", "schedule", "timezone", "keep"]

    /// riaktq's statuses, as Errand's states: `todo` (waiting), `nextup` (assigned: running), `done`, `failed`.
    static let riaktqStatuses: [String: [TaskState]] = [
        "todo": [.scheduled, .pending], "nextup": [.running], "done": [.completed], "failed": [.failed, .cancelled, .dead],
    ]

    /// The periodical definition that runs this observer.
    public var definition: TaskDefinition {
        var definition = TaskDefinition(
            name: Self.definitionPrefix + name,
            kind: .periodical,
            handler: Self.handler,
            arguments: (try? JSONEncoder().encode(query)).map { String(decoding: $0, as: UTF8.self) } ?? "{}",
            schedule: schedule,
            timeZone: timeZone,
            skipIfOutstanding: true,
            catchUp: .latest
        )
        definition.fixedLease = false
        return definition
    }

    /// Reads one `observers:` entry: `status` (riaktq's `todo`, `nextup`, `done`, `failed`) or `state` (Errand's,
    /// one or a list), `queue`, `handler`, `tag`, `age` (seconds), `keep` (reports kept, default 10), and when it
    /// runs: `time` (riaktq's time of day, `HH:MM:SS`, daily) or `schedule` (cron), in `timezone` (UTC).
    public init(name: String, configValue: Any) throws(InvalidField) {
        let path = "observers.\(name)"
        func field(_ key: String) -> String { "\(path).\(key)" }
        if let problem = DefinitionName.problem(name) { throw InvalidField(field: path, reason: problem) }
        let mapping = try ConfigTree.mapping(configValue, path, known: Self.keys, what: "an observer key")
        var query = Query(observer: name)
        if let value = mapping["status"] {
            let text = try ConfigTree.string(value, field("status"))
            guard let states = Self.riaktqStatuses[text] else {
                throw InvalidField(field: field("status"), reason: "must be todo, nextup, done or failed (riaktq's statuses), got \"\(text)\"")
            }
            query.states = states
        }
        if let value = mapping["state"] {
            for (index, item) in (value as? [Any] ?? [value]).enumerated() {
                let text = try ConfigTree.string(item, field("state[\(index)]"))
                guard let state = TaskState(rawValue: text) else {
                    let known = TaskState.allCases.map(\.rawValue).joined(separator: ", ")
                    throw InvalidField(field: field("state"), reason: "unknown state \"\(text)\"; known: \(known)")
                }
                query.states.append(state)
            }
        }
        if let value = mapping["queue"] { query.queue = try ConfigTree.string(value, field("queue")) }
        if let value = mapping["handler"] { query.handler = try ConfigTree.string(value, field("handler")) }
        if let value = mapping["tag"] { query.tag = try ConfigTree.string(value, field("tag")) }
        if let value = mapping["age"] {
            query.age = try InvalidField.seconds(try ConfigTree.number(value, field("age")), field("age"), allowZero: true)
        }
        if let value = mapping["keep"] { query.keep = try ConfigTree.integer(value, field("keep"), atLeast: 1) }
        let expression: String
        switch (mapping["time"], mapping["schedule"]) {
        case (.some, .some):
            throw InvalidField(field: field("time"), reason: "give time (a time of day) or schedule (cron), not both")
        case (let time?, nil):
            expression = try Self.daily(try ConfigTree.string(time, field("time")), field("time"))
        case (nil, let schedule?):
            expression = try ConfigTree.string(schedule, field("schedule"))
        case (nil, nil):
            throw InvalidField(field: field("time"), reason: "is required: a time of day such as \"00:00:00\" (or give schedule, a cron expression)")
        }
        do {
            schedule = try CronSchedule(expression)
        } catch {
            throw InvalidField(field: field(mapping["time"] == nil ? "schedule" : "time"), reason: error.description)
        }
        timeZone = "UTC"
        if let value = mapping["timezone"] {
            timeZone = try ConfigTree.string(value, field("timezone"))
            guard TimeZone(identifier: timeZone) != nil else {
                throw InvalidField(field: field("timezone"), reason: "unknown time zone \"\(timeZone)\" (use an IANA name such as Europe/Paris)")
            }
        }
        self.name = name
        self.query = query
    }

    /// `HH:MM:SS` (or `HH:MM`) as the cron expression that fires at that time each day.
    static func daily(_ text: String, _ field: String) throws(InvalidField) -> String {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            throw InvalidField(field: field, reason: "must be a time of day HH:MM:SS, got \"\(text)\"")
        }
        let (hour, minute, second) = (parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 0)
        guard (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second) else {
            throw InvalidField(field: field, reason: "must be a time of day HH:MM:SS, got \"\(text)\"")
        }
        return "\(second) \(minute) \(hour) * * *"
    }
}
