public import ErrandStore
public import Foundation

/// The stored task definitions over `/v1/definitions`: `errand definition … --server URL` reads and writes the
/// server's, which checks them by the configuration file's rules and refuses the names its own file uses (409).
extension RemoteTaskStore {
    public func storedDefinitions() async throws -> [StoredDefinition] {
        let listed = try ShapeReader(try await api.call("GET", "/v1/definitions"), "definition list").list("definitions") { item in
            try Self.stored(from: item)
        }
        return listed.compactMap(\.self)
    }

    public func putDefinition(_ name: String, spec: String, replacing: Bool, now: Date) async throws -> StoredDefinition {
        let answer = try await api.call(replacing ? "PUT" : "POST", "/v1/definitions/\(RemoteAPI.segment(name))", body: .raw(spec))
        guard let stored = try Self.stored(from: answer) else {
            throw StoreError(.corrupt, "the server answered definition \(name) without its stored spec")
        }
        return stored
    }

    public func deleteDefinition(_ name: String) async throws -> Bool {
        do {
            _ = try await api.call("DELETE", "/v1/definitions/\(RemoteAPI.segment(name))")
            return true
        } catch let error as StoreError where error.code == .notFound {
            return false
        }
    }

    /// A definition of the API's list as stored; `nil` for one of the server's configuration file (`source: file`).
    private static func stored(from item: BodyObject) throws -> StoredDefinition? {
        let read = ShapeReader(item, "definition")
        guard try read.string("source") == "api", let spec = try read.stored("spec") else { return nil }
        return StoredDefinition(
            name: try read.string("name"),
            spec: spec,
            createdAt: try read.date("created_at"),
            updatedAt: try read.date("updated_at")
        )
    }
}
