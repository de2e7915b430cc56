// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "errand",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "errand", targets: ["ErrandCLI"]),
        .library(name: "Errand", targets: ["Errand"]),
        .library(name: "ErrandCore", targets: ["ErrandCore"]),
        .library(name: "ErrandStore", targets: ["ErrandStore"]),
        .library(name: "ErrandSQLite", targets: ["ErrandSQLite"]),
        .library(name: "ErrandPostgres", targets: ["ErrandPostgres"]),
        .library(name: "ErrandHTTP", targets: ["ErrandHTTP"]),
        .library(name: "ErrandProcess", targets: ["ErrandProcess"]),
        .library(name: "ErrandTesting", targets: ["ErrandTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already a dependency of postgres-nio; named here for the TLS context of the start-up connection.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The HTTP API; without its swift-configuration trait, which Errand does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Child processes: spawn, pipes, process groups and teardown.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // The generated client of the contract tests (scripts/generate-openapi), on Foundation's URLSession.
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession", from: "1.4.0"),
        // The GraphQL API at /admin/api and /graphql (Tarantool's task manager has one).
        .package(url: "https://github.com/GraphQLSwift/Graphiti", from: "3.1.0"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.3.0"),
    ],
    targets: [
        .target(name: "ErrandCore", swiftSettings: strict),
        .target(
            name: "ErrandStore",
            dependencies: ["ErrandCore", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .target(
            name: "ErrandSQLite",
            dependencies: [
                "Errand", "ErrandCore", "ErrandStore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ErrandPostgres",
            dependencies: [
                "ErrandCore", "ErrandStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // For the pool's own error type, which PostgresNIO passes on without mapping it.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Errand",
            dependencies: [
                "ErrandCore", "ErrandStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ErrandProcess",
            dependencies: [
                "Errand", "ErrandCore", "ErrandStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ErrandHTTP",
            dependencies: [
                "Errand", "ErrandCore", "ErrandStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Graphiti", package: "Graphiti"),
                .product(name: "GraphQL", package: "GraphQL"),
            ],
            // The API's contract and the dashboard's files, compiled into the binary (no resource bundle to ship beside it).
            resources: [
                .embedInCode("openapi.yaml"),
                .embedInCode("Dashboard/api.js"),
                .embedInCode("Dashboard/app.js"),
                .embedInCode("Dashboard/bulk.js"),
                .embedInCode("Dashboard/chart.js"),
                .embedInCode("Dashboard/dead-letters.js"),
                .embedInCode("Dashboard/definitions.js"),
                .embedInCode("Dashboard/index.html"),
                .embedInCode("Dashboard/json.js"),
                .embedInCode("Dashboard/live.js"),
                .embedInCode("Dashboard/overview.js"),
                .embedInCode("Dashboard/queues.js"),
                .embedInCode("Dashboard/style.css"),
                .embedInCode("Dashboard/task.js"),
                .embedInCode("Dashboard/tasks.js"),
                .embedInCode("Dashboard/tree.js"),
                .embedInCode("Dashboard/view.js"),
                .embedInCode("Dashboard/workers.js"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ErrandCLI",
            dependencies: [
                "Errand", "ErrandCore", "ErrandStore", "ErrandSQLite", "ErrandPostgres", "ErrandHTTP", "ErrandProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(name: "ErrandTesting", dependencies: ["Errand", "ErrandCore", "ErrandStore"], swiftSettings: strict),
        .executableTarget(
            name: "ErrandBenchmarks",
            dependencies: [
                "Errand", "ErrandCore", "ErrandStore", "ErrandSQLite", "ErrandPostgres", "ErrandHTTP", "ErrandProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/ErrandBenchmarks",
            swiftSettings: strict
        ),
        .testTarget(name: "ErrandCoreTests", dependencies: ["ErrandCore"], swiftSettings: strict),
        .testTarget(
            name: "ErrandSQLiteTests",
            dependencies: ["ErrandSQLite", "ErrandTesting", "ErrandStore", "ErrandCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ErrandPostgresTests",
            dependencies: [
                "ErrandPostgres", "ErrandTesting", "ErrandStore", "ErrandCore", "Errand",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ErrandTests",
            dependencies: [
                "Errand", "ErrandTesting", "ErrandSQLite", "ErrandStore", "ErrandCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ErrandProcessTests",
            dependencies: ["ErrandProcess", "Errand", "ErrandTesting", "ErrandSQLite", "ErrandStore", "ErrandCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ErrandHTTPTests",
            dependencies: [
                "ErrandHTTP", "Errand", "ErrandTesting", "ErrandSQLite", "ErrandStore", "ErrandCore",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIURLSession", package: "swift-openapi-urlsession"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["openapi-generator-config.yaml"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ErrandCLITests",
            dependencies: [
                "ErrandCLI", "ErrandCore", "ErrandTesting", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
    ]
)
