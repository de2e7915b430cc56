import Foundation

/// The configuration file's content: task definitions and the settings of storage and the runner.
///
/// The layout is Tarantool's task manager's, plus Errand's own keys; see `docs/configuration.md` for every key.
public struct ErrandConfig: Sendable, Hashable {
    /// `task_storage:`.
    public struct Storage: Sendable, Hashable {
        /// Default lease of a launch in seconds (`task_ttr`).
        public var taskTTR: Double = NewTask.defaultTimeToResolve
        /// Launches kept per handler in the launch log (`task_log_max_size`).
        public var taskLogMaxSize: Int = 100
        /// Seconds a finished task is kept before the janitor prunes it (`finished_ttl`).
        public var finishedTTL: Double = 7 * 86_400
        /// Seconds a finished root task that a user started is kept (`user_task_ttl`); `finished_ttl` when unset.
        public var userTaskTTL: Double?
        /// Seconds after which a finished task (tree) moves to the archive (`archive_older_than`, tasques' setting);
        /// `nil`: never archived.
        public var archiveOlderThan: Double?

        public init() {}
    }

    /// `task_runner:`.
    public struct Runner: Sendable, Hashable {
        /// Most tasks running at once on a node (`capacity`).
        public var capacity: Int = 32
        /// The tags the node has (riaktq's instance features, `gpu`): it takes the tasks that require them (`tags`).
        public var tags: [String] = []

        public init() {}
    }

    /// Definitions by name.
    public var tasks: [String: TaskDefinition] = [:]
    public var storage = Storage()
    public var runner = Runner()
    /// `worker:`: settings of `errand worker -- CMD`.
    public var worker = WorkerSettings()
    /// `http:`: where `errand serve`'s HTTP API listens and its tokens.
    public var http = HTTPSettings()
    /// What reading the file has to say that is not a problem (pftaskqueue's `redis:` section is not used).
    public var notices: [String] = []
    /// What reading the file found that works, but perhaps not as its author meant (Tarantool's `*/*` schedule,
    /// read as its documentation describes it): printed as warnings.
    public var warnings: [String] = []

    public init() {}

    /// `observers:`: riaktq's observers by name, named queries reported on a schedule.
    public var observers: [String: Observer] = [:]

    /// Definitions sorted by name: the `tasks:` section's, then each observer's (`observer.NAME`).
    public var definitions: [TaskDefinition] {
        tasks.keys.sorted().compactMap { tasks[$0] } + observers.keys.sorted().compactMap { observers[$0]?.definition }
    }
}
