public import Errand
public import ErrandCore
import Foundation
import Hummingbird
public import Logging
import NIOCore
public import Prometheus
public import ServiceLifecycle

/// What the API's operations work on.
public struct APIServices: Sendable {
    /// The store the API serves, change log included (`/v1/events`).
    public let store: any TaskStore
    /// The client over ``store`` every operation uses, with its clock and random source.
    public let client: ErrandClient
    /// The task definitions the server knows now (the configuration file's, reloaded with it).
    public var definitions: @Sendable () async -> [TaskDefinition]
    /// Where `/metrics` reads counters and timers: the registry of the Prometheus factory this process bootstrapped
    /// (or gave the client's ``ErrandMetrics``). Gauges of the store's state are added to it at each scrape.
    public var registry: PrometheusCollectorRegistry
    /// This node's name in the leader lease, for `errand_leader`; `nil` when it does not stand for leader.
    public var nodeName: String?
    /// The TTLs the nodes are configured with (`finished_ttl`, `user_task_ttl`), answered by `/task_manager/ttl`
    /// and `/task_manager/user_ttl` until one is set at run time.
    public var taskTTLs: (code: Double, user: Double)
    /// Set from ``HTTPServerConfiguration/longestWait`` by the server.
    var longestWait: Double = 300
    /// The programs that claim over HTTP, kept in the worker registry; made by the server, with its longest wait.
    var remoteClaimers = RemoteClaimers(longestWait: 300)

    /// - Parameters:
    ///   - store: the store to serve.
    ///   - time: the clock of every operation (a manual one in tests).
    ///   - random: where the jitter of the retries that finishes schedule comes from.
    public init(
        store: any TaskStore,
        time: any TimeSource = SystemTimeSource(),
        random: any RandomSource = SystemRandomSource(),
        definitions: @escaping @Sendable () async -> [TaskDefinition] = { [] },
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        nodeName: String? = nil,
        taskTTLs: (code: Double, user: Double) = (7 * 86_400, 7 * 86_400)
    ) {
        self.taskTTLs = taskTTLs
        self.store = store
        self.client = ErrandClient(store: store, time: time, random: random)
        self.definitions = definitions
        self.registry = registry
        self.nodeName = nodeName
    }
}

/// Where and how the HTTP API listens.
public struct HTTPServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (the bound one is reported to `onListening`).
    public var port: Int
    public var auth: BearerAuth
    /// Largest request body accepted, in bytes (16 MiB: a batch of 1,000 tasks with sizeable arguments).
    public var maxBodyBytes: Int
    /// Longest a long-poll (a claim's `wait`, a task wait's `timeout`) is held, in seconds, whatever the request asks;
    /// a request asking more is answered after this long (an empty claim, an unfinished task). Below a proxy's idle
    /// timeout, it keeps long-polls from being cut.
    public var longestWait: Double

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        auth: BearerAuth = .none,
        maxBodyBytes: Int = 16 << 20,
        longestWait: Double = 300
    ) {
        self.host = host
        self.port = port
        self.auth = auth
        self.maxBodyBytes = maxBodyBytes
        self.longestWait = longestWait
    }

    /// Whether `host` is a loopback address, the only kind a server without tokens may bind.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// The HTTP API as a service: runs until its service group shuts down.
///
/// ```swift
/// let server = try ErrandHTTPServer(configuration: .init(port: 8080), services: APIServices(store: store))
/// // run it in a ServiceGroup beside an ErrandNode
/// ```
public struct ErrandHTTPServer: Service {
    public let configuration: HTTPServerConfiguration
    let responder: APIResponder
    let logger: Logger
    let onListening: @Sendable (String, Int) async -> Void

    /// - Parameter onListening: called with the bound host and port once the server accepts connections.
    /// - Throws: ``HTTPServerError`` when the configuration is not allowed (no tokens off loopback).
    public init(
        configuration: HTTPServerConfiguration,
        services: APIServices,
        logger: Logger = Logger(label: "errand.http"),
        onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
    ) throws {
        if !configuration.auth.checksTokens, !configuration.isLoopback {
            throw HTTPServerError(
                "the HTTP API would listen on \(configuration.host) without authentication; give tokens (http.tokens, ERRAND_HTTP_ADMIN_TOKENS) or bind to 127.0.0.1 — --auth none is allowed on loopback only"
            )
        }
        var services = services
        services.longestWait = configuration.longestWait
        services.remoteClaimers = RemoteClaimers(longestWait: configuration.longestWait)
        var handlers: [String: OperationHandler] = [:]
        for group in [
            TaskOperations(services: services).handlers, LeaseOperations(services: services).handlers,
            QueueOperations(services: services).handlers, DefinitionOperations(services: services).handlers,
            SystemOperations(services: services).handlers,
            EventOperations(services: services).handlers, MetricsOperations(services: services).handlers,
            TaskManagerOperations(services: services).handlers, TasquesOperations(services: services).handlers,
            RecurringTasquesOperations(services: services).handlers, GraphQLOperations(services: services).handlers,
            ObserverOperations(services: services).handlers,
        ] {
            handlers.merge(group) { first, _ in first }
        }
        self.configuration = configuration
        self.responder = try APIResponder(
            document: .current,
            handlers: handlers,
            auth: configuration.auth,
            maxBodyBytes: configuration.maxBodyBytes,
            logger: logger
        )
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let responder = self.responder
        let onListening = self.onListening
        let host = configuration.host
        let application = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in
                if let page = Dashboard.response(to: request) { return page }
                return await responder.respond(to: request)
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: "errand"),
            onServerRunning: { channel in await onListening(host, channel.localAddress?.port ?? 0) },
            logger: logger
        )
        do {
            try await application.run()
        } catch let error as IOError {
            throw HTTPServerError(
                "the HTTP API cannot listen on \(host):\(configuration.port): \(error.description); choose another with --http HOST:PORT, or --http off"
            )
        }
    }
}

/// The HTTP API cannot start as configured.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
