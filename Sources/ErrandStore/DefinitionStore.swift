public import Foundation

/// A task definition created at run time (over the API) and kept in the store, so that every node sees it and the
/// leader launches it like one of the configuration file's.
public struct StoredDefinition: Sendable, Hashable {
    public var name: String
    /// The definition as a JSON object with the configuration file's keys (`kind`, `func_name`, `schedule`, …), read
    /// by the same rules as the file (`TaskDefinition(name:configValue:defaultTTR:)`).
    public var spec: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, spec: String, createdAt: Date, updatedAt: Date) {
        self.name = name
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The task definitions kept in the store. Their on/off switch is ``DefinitionSwitches``' (the same row).
public protocol DefinitionStore: Sendable {
    /// Every stored definition, by name.
    func storedDefinitions() async throws -> [StoredDefinition]

    /// Creates definition `name`, or with `replacing` creates or replaces it. A new definition starts enabled; a
    /// replaced one keeps its switch and its creation time.
    /// - Throws: ``StoreError`` `.alreadyExists` when one exists and `replacing` is false.
    func putDefinition(_ name: String, spec: String, replacing: Bool, now: Date) async throws -> StoredDefinition

    /// Deletes a stored definition and its switch; `false` when there was none.
    func deleteDefinition(_ name: String) async throws -> Bool
}

extension StoreError {
    /// A stored definition of that name exists already.
    public static func definitionExists(_ name: String) -> StoreError {
        StoreError(.alreadyExists, "a task definition named \(name) exists already; replace it with PUT or delete it first")
    }
}
