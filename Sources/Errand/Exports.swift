// `import Errand` is all a program needs: the model, the store protocol and the embedded store come with it.
@_exported import ErrandCore
@_exported import ErrandSQLite
@_exported import ErrandStore
