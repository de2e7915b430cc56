// `import Errand` brings the model and the store protocol; a store comes from its own module (`import ErrandSQLite`
// for the embedded one, `import ErrandPostgres`), so the engine links neither GRDB nor postgres-nio.
@_exported import ErrandCore
@_exported import ErrandStore
