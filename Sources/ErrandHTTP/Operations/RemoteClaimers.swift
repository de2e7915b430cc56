import ErrandCore
import ErrandStore
import Foundation

/// The programs that claim over HTTP (`POST /v1/claims`, tasques' claims), kept in the worker registry as the
/// nodes' own workers are: so that `errand worker list` and the dashboard show them, and so that a task only they
/// take is not counted `unknown task` (``TaskTakers`` reads the registry).
///
/// A claimer is known by the `worker` name it claims as (its leases carry it). Its record, `remote-NAME-XXXXXXXX`,
/// holds every queue, handler and tag it claimed with (an empty list: any) and is kept alive by its claims and task
/// heartbeats, written at most every ``refreshEvery`` seconds. It counts as lost after the server's longest wait
/// and a minute more without either (a long-poll claim is renewed within the longest wait), and is salvaged only a
/// day later: a claimer busy with one long task, silent meanwhile, keeps its lease, which the task's own
/// `time_to_resolve` bounds. A claim that widens what it claims ends the old record and registers a new one.
///
/// The registry's writes never fail a claim: a claimer the registry missed is only shown less well.
actor RemoteClaimers {
    private struct Claimer {
        var id: String
        /// `nil`: any.
        var queues: Set<String>?
        var handlers: Set<String>?
        var tags: Set<String>
        var written: Date

        func covers(queues: Set<String>?, handlers: Set<String>?, tags: Set<String>) -> Bool {
            Self.covers(self.queues, queues) && Self.covers(self.handlers, handlers) && tags.isSubset(of: self.tags)
        }

        private static func covers(_ known: Set<String>?, _ asked: Set<String>?) -> Bool {
            guard let known else { return true }
            guard let asked else { return false }
            return asked.isSubset(of: known)
        }
    }

    /// Seconds between two registry writes for one claimer.
    static let refreshEvery: Double = 10
    /// Seconds after which a silent claimer is salvaged, once lost.
    static let salvageAfter: Double = 86_400
    /// Claimers kept in memory before the silent ones are forgotten (a forgotten one that claims again registers anew).
    static let remembered = 10_000

    private let expiration: Double
    private var claimers: [String: Claimer] = [:]

    /// - Parameter longestWait: the server's longest long-poll; a claimer silent for a minute more is lost.
    init(longestWait: Double) {
        expiration = longestWait + 60
    }

    /// Records a claim by `worker` for `queues`, `handlers` and `tags` (empty lists: any queue, any handler).
    func claimed(by worker: String, queues: [String], handlers: [String], tags: [String], in registry: any WorkerRegistry, now: Date) async {
        guard !worker.isEmpty else { return }
        let asked = (queues: queues.isEmpty ? nil : Set(queues), handlers: handlers.isEmpty ? nil : Set(handlers), tags: Set(tags))
        if let known = claimers[worker], known.covers(queues: asked.queues, handlers: asked.handlers, tags: asked.tags) {
            await refresh(worker, known, in: registry, now: now)
            return
        }
        let old = claimers[worker]
        let widened = Claimer(
            id: Self.newID(worker),
            queues: old.map { Self.union($0.queues, asked.queues) } ?? asked.queues,
            handlers: old.map { Self.union($0.handlers, asked.handlers) } ?? asked.handlers,
            tags: (old?.tags ?? []).union(asked.tags),
            written: now
        )
        await register(worker, widened, in: registry, now: now)
        if let old { try? await registry.endWorker(old.id, as: .succeeded, now: now) }
    }

    /// Records that `worker` was heard from (a task heartbeat): it stays live while it works.
    func heard(from worker: String, in registry: any WorkerRegistry, now: Date) async {
        guard let known = claimers[worker] else { return }
        await refresh(worker, known, in: registry, now: now)
    }

    private func refresh(_ worker: String, _ known: Claimer, in registry: any WorkerRegistry, now: Date) async {
        guard now.timeIntervalSince(known.written) >= Self.refreshEvery else { return }
        claimers[worker]?.written = now
        // Salvaged or ended meanwhile (or gone): the claimer is back, under a new record.
        if let record = try? await registry.workerHeartbeat(known.id, now: now), record.state == .running { return }
        var renewed = known
        renewed.id = Self.newID(worker)
        await register(worker, renewed, in: registry, now: now)
    }

    private func register(_ worker: String, _ claimer: Claimer, in registry: any WorkerRegistry, now: Date) async {
        var stored = claimer
        stored.written = now
        if claimers[worker] == nil, claimers.count >= Self.remembered {
            // Many names (a claimer minting one per request): forget the silent ones, lost by now.
            claimers = claimers.filter { now.timeIntervalSince($0.value.written) < expiration }
        }
        claimers[worker] = stored
        let spec: OutputJSON = .object([
            ("remote", .bool(true)),
            ("handlers", .array((claimer.handlers ?? []).sorted().map(OutputJSON.string))),
            ("tags", .array(claimer.tags.sorted().map(OutputJSON.string))),
        ])
        let record = WorkerRecord(
            id: claimer.id,
            name: worker,
            leaseName: worker,
            queues: (claimer.queues ?? []).sorted(),
            spec: spec.text,
            startedAt: now,
            heartbeatExpiration: expiration,
            salvageAfter: Self.salvageAfter
        )
        try? await registry.registerWorker(record)
    }

    private static func union(_ a: Set<String>?, _ b: Set<String>?) -> Set<String>? {
        guard let a, let b else { return nil }
        return a.union(b)
    }

    private static func newID(_ worker: String) -> String {
        "remote-\(worker)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
