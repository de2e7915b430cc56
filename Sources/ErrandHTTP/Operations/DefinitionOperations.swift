import Errand
import ErrandCore
import ErrandStore
import Foundation
import Hummingbird

/// Task definitions: the configuration file's (read-only here) and those kept in the store, created, replaced and
/// deleted over the API. The leader's scheduler runs both (``Scheduler``).
struct DefinitionOperations {
    let services: APIServices

    var handlers: [String: OperationHandler] {
        [
            "listDefinitions": listDefinitions, "getDefinition": getDefinition, "createDefinition": createDefinition,
            "replaceDefinition": replaceDefinition, "deleteDefinition": deleteDefinition, "startDefinition": startDefinition,
            "enableDefinition": enableDefinition, "disableDefinition": disableDefinition,
        ]
    }

    private var client: ErrandClient { services.client }

    @Sendable func listDefinitions(_ request: APIRequest) async throws -> Response {
        let disabled = try await client.store.disabledDefinitions()
        let all = try await DefinitionCatalog.read(services).entries
        return .json(.object([("definitions", .array(all.map { representation($0, enabled: !disabled.contains($0.definition.name)) }))]))
    }

    @Sendable func getDefinition(_ request: APIRequest) async throws -> Response {
        let entry = try await DefinitionCatalog.read(services).named(request.path("name"))
        return .json(representation(entry, enabled: !(try await client.store.disabledDefinitions()).contains(entry.definition.name)))
    }

    @Sendable func createDefinition(_ request: APIRequest) async throws -> Response {
        .json(try await put(request, replacing: false), status: .created)
    }

    @Sendable func replaceDefinition(_ request: APIRequest) async throws -> Response {
        .json(try await put(request, replacing: true))
    }

    private func put(_ request: APIRequest, replacing: Bool) async throws -> OutputJSON {
        let name = request.path("name")
        guard let parsed = request.body.parsed else { throw Problem.badRequest("this operation needs a JSON request body") }
        let stored = try await DefinitionCatalog.put(name, spec: parsed.text(of: parsed.root), replacing: replacing, services: services)
        let enabled = !(try await client.store.disabledDefinitions()).contains(name)
        return representation(stored, enabled: enabled)
    }

    @Sendable func deleteDefinition(_ request: APIRequest) async throws -> Response {
        let name = request.path("name")
        let entry = try await DefinitionCatalog.read(services).named(name)
        guard entry.stored != nil else { throw DefinitionCatalog.readOnly(name) }
        let enabled = !(try await client.store.disabledDefinitions()).contains(name)
        guard try await services.store.deleteDefinition(name) else { throw DefinitionCatalog.unknown(name, among: []) }
        return .json(representation(entry, enabled: enabled))
    }

    @Sendable func enableDefinition(_ request: APIRequest) async throws -> Response { try await setEnabled(request, true) }

    @Sendable func disableDefinition(_ request: APIRequest) async throws -> Response { try await setEnabled(request, false) }

    private func setEnabled(_ request: APIRequest, _ enabled: Bool) async throws -> Response {
        let entry = try await DefinitionCatalog.read(services).named(request.path("name"))
        try await client.store.setDefinitionEnabled(entry.definition.name, enabled, now: client.time.now)
        return .json(representation(entry, enabled: enabled))
    }

    @Sendable func startDefinition(_ request: APIRequest) async throws -> Response {
        let definition = try await DefinitionCatalog.read(services).named(request.path("name")).definition
        let arguments = request.body.rawJSON("arguments")
        do { try definition.newTask(arguments: arguments).validate() } catch { throw Problem.badRequest(error.description) }
        return .json(Representation.task(try await client.start(definition, arguments: arguments, byUser: true)), status: .created)
    }

    private func representation(_ entry: DefinitionCatalog.Entry, enabled: Bool) -> OutputJSON {
        Representation.definition(entry.definition, enabled: enabled, now: client.time.now, stored: entry.stored)
    }
}

/// The definitions a server knows: the configuration file's, then the store's whose names the file does not use,
/// the same merge the scheduler makes.
struct DefinitionCatalog {
    struct Entry {
        var definition: TaskDefinition
        /// Its row when it is kept in the store; `nil` for the file's.
        var stored: StoredDefinition?
    }

    var entries: [Entry]

    static func read(_ services: APIServices) async throws -> DefinitionCatalog {
        let file = await services.definitions()
        let fileNames = Set(file.map(\.name))
        var entries = file.map { Entry(definition: $0, stored: nil) }
        for row in try await services.store.storedDefinitions() where !fileNames.contains(row.name) {
            // A spec this build cannot read (written by a newer one) is left out here; the scheduler reports it.
            if let definition = try? TaskDefinition(name: row.name, specJSON: row.spec) { entries.append(Entry(definition: definition, stored: row)) }
        }
        return DefinitionCatalog(entries: entries.sorted { $0.definition.name < $1.definition.name })
    }

    /// Definition `name`, or a 404 naming the ones there are.
    func named(_ name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.definition.name == name }) else {
            throw Self.unknown(name, among: entries.map(\.definition.name))
        }
        return entry
    }

    /// Checks `spec` by the configuration file's rules and writes it to the store.
    /// - Throws: 400 naming the key at fault, 409 for a name the file uses (or, without `replacing`, one stored).
    static func put(_ name: String, spec: String, replacing: Bool, services: APIServices) async throws -> Entry {
        let definition = try read(name, spec: spec)
        return try await store(definition, spec: spec, replacing: replacing, services: services)
    }

    /// The definition `spec` describes, by the configuration file's rules.
    /// - Throws: 400 naming the key at fault, or the name's problem.
    static func read(_ name: String, spec: String) throws -> TaskDefinition {
        if let problem = DefinitionName.problem(name) { throw Problem.badRequest("name: \(problem)") }
        do { return try TaskDefinition(name: name, specJSON: spec) } catch { throw Problem.badRequest(error.description) }
    }

    /// Writes a definition read by ``read(_:spec:)`` to the store.
    /// - Throws: 409 for a name the file uses (or, without `replacing`, one stored).
    static func store(_ definition: TaskDefinition, spec: String, replacing: Bool, services: APIServices) async throws -> Entry {
        let name = definition.name
        if await services.definitions().contains(where: { $0.name == name }) { throw readOnly(name) }
        let stored = try await services.store.putDefinition(name, spec: spec, replacing: replacing, now: services.client.time.now)
        return Entry(definition: definition, stored: stored)
    }

    static func unknown(_ name: String, among known: [String]) -> Problem {
        Problem.notFound("no task definition \"\(name)\"\(known.isEmpty ? "; the server has none" : "; defined: \(known.joined(separator: ", "))")")
    }

    static func readOnly(_ name: String) -> Problem {
        Problem(.conflict, "read-only", "task definition \(name) comes from the server's configuration file; change it there (or pick another name)")
    }
}
