// swift-tools-version:6.2
import PackageDescription

/// Settings for Orbita's own targets: Swift 6 mode, strict imports, warnings as errors (ours only).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Orbita",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orbita", targets: ["orbita"]),
        .executable(name: "orbita-bench", targets: ["orbita-bench"]),
        .executable(name: "NMEAFuzz", targets: ["NMEAFuzz"]),
        .library(name: "NMEA", targets: ["NMEA"]),
        .library(name: "OrbitaModel", targets: ["OrbitaModel"]),
        .library(name: "Geodesy", targets: ["Geodesy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(name: "OrbitaModel", swiftSettings: strict),
        .target(name: "NMEA", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .systemLibrary(name: "CProj", pkgConfig: "proj", providers: [.apt(["libproj-dev", "proj-data"])]),
        .target(name: "Geodesy", dependencies: ["CProj", "OrbitaModel"], swiftSettings: strict),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "GPX", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .target(name: "CPrefetch"),
        .target(name: "Geofencing", dependencies: ["CPrefetch", "OrbitaModel"], swiftSettings: strict),
        .target(name: "GeoJSON", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .target(name: "Tracking", dependencies: ["Geodesy", "Geofencing", "OrbitaModel"], swiftSettings: strict),
        .target(
            name: "Reports", dependencies: ["Geodesy", "Geofencing", "OrbitaModel", "Tracking"], swiftSettings: strict),
        .target(
            name: "FleetTracking", dependencies: ["Geodesy", "OrbitaModel", "Reports", "Tracking"],
            swiftSettings: strict),
        .target(
            name: "TrackImport",
            dependencies: ["CZlib", "FleetTracking", "OrbitaModel", "NMEA", "GPX", "Reports", "Tracking"],
            swiftSettings: strict),
        .target(
            name: "PostgresStorage",
            dependencies: [
                "Cluster", "GeoJSON", "OrbitaModel", "OrbitaWire",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "StoreFactory", dependencies: ["Cluster", "OrbitaModel", "PostgresStorage", "Storage"],
            swiftSettings: strict),
        .target(name: "Cluster", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .target(
            name: "Storage",
            dependencies: [
                "OrbitaModel", "OrbitaWire", "GeoJSON", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .target(
            name: "Ingest",
            dependencies: [
                "NMEA", "OrbitaModel", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict),
        .target(name: "ConsoleMap", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .target(
            name: "FleetSimulation",
            dependencies: [
                "NMEA", "OrbitaModel", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(name: "TerminalOutput", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .target(
            name: "DispatcherMap",
            dependencies: [
                "ConsoleMap", "DispatchClient", "GeoJSON", "Geodesy", "OrbitaModel", "OrbitaWire", "Reports",
            ],
            swiftSettings: strict),
        .target(name: "OrbitaWire", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .target(
            name: "DispatchAPI",
            dependencies: [
                "OrbitaModel", "OrbitaWire", "GeoJSON", "GPX", "Reports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        .target(
            name: "DispatchClient",
            dependencies: [
                "OrbitaModel", "OrbitaWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "OrbitaServer",
            dependencies: [
                "Cluster", "DispatchAPI", "FleetTracking", "Geodesy", "Ingest", "OrbitaModel", "OrbitaWire",
                "StoreFactory",
                "Tracking",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Yams", package: "Yams"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            swiftSettings: strict),
        .target(
            name: "OrbitaCommands",
            dependencies: [
                "Cluster", "OrbitaModel", "NMEA", "FleetSimulation", "FleetTracking", "TrackImport", "StoreFactory",
                "Tracking",
                "Geodesy", "GPX", "GeoJSON", "Geofencing", "Ingest", "OrbitaServer", "DispatchAPI", "DispatchClient",
                "ConsoleMap", "DispatcherMap", "TerminalOutput", "OrbitaWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "orbita", dependencies: ["OrbitaCommands"], swiftSettings: strict),
        .executableTarget(
            name: "orbita-bench",
            dependencies: [
                "ConsoleMap", "FleetSimulation", "FleetTracking", "Geodesy", "Geofencing", "NMEA", "OrbitaModel",
                "PostgresStorage", "Reports", "Storage", "StoreFactory", "TerminalOutput", "TrackImport", "Tracking",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .target(name: "OrbitaTesting", swiftSettings: strict),
        .executableTarget(
            name: "NMEAFuzz", dependencies: ["NMEA", "OrbitaModel"], exclude: ["run.sh"], swiftSettings: strict),
        .testTarget(
            name: "FleetTrackingTests", dependencies: ["FleetTracking", "OrbitaModel", "Storage", "Tracking"],
            swiftSettings: strict),
        .testTarget(
            name: "DispatchAPITests",
            dependencies: [
                "DispatchAPI", "OrbitaModel", "OrbitaWire", "Storage", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ArchitectureTests", swiftSettings: strict),
        .testTarget(
            name: "DispatchAPIEndpointTests",
            dependencies: [
                "DispatchAPI", "OrbitaModel", "OrbitaWire", "Reports", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ReportsTests",
            dependencies: [
                "ConsoleMap", "DispatcherMap", "FleetTracking", "GeoJSON", "OrbitaModel", "OrbitaTesting", "OrbitaWire",
                "Reports", "Storage", "TrackImport", "Tracking",
            ],
            swiftSettings: strict),
        .testTarget(name: "OrbitaWireTests", dependencies: ["OrbitaWire", "OrbitaModel"], swiftSettings: strict),
        .testTarget(name: "OrbitaModelTests", dependencies: ["OrbitaModel"], swiftSettings: strict),
        .testTarget(
            name: "TrackingTests",
            dependencies: ["Tracking", "Geodesy", "Geofencing", "GeoJSON", "OrbitaModel", "OrbitaTesting"],
            swiftSettings: strict),
        .testTarget(
            name: "ClusterTests",
            dependencies: ["Cluster", "OrbitaModel", "OrbitaTesting", "PostgresStorage", "StoreFactory"],
            swiftSettings: strict),
        .testTarget(name: "GPXTests", dependencies: ["GPX", "OrbitaModel", "OrbitaTesting"], swiftSettings: strict),
        .testTarget(
            name: "TrackImportTests",
            dependencies: [
                "TrackImport", "FleetTracking", "Storage", "Tracking", "OrbitaModel", "OrbitaTesting", "Geodesy",
                "NMEA", "OrbitaWire",
                "GPX",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "OrbitaModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "StoreContractTests",
            dependencies: [
                "Geodesy", "OrbitaModel", "OrbitaTesting", "PostgresStorage", "Reports", "Storage", "StoreFactory",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "GeofencingTests", dependencies: ["Geofencing", "Geodesy", "OrbitaModel", "OrbitaTesting"],
            swiftSettings: strict),
        .testTarget(name: "GeoJSONTests", dependencies: ["GeoJSON", "OrbitaModel"], swiftSettings: strict),
        .testTarget(name: "GeodesyTests", dependencies: ["Geodesy", "OrbitaModel"], swiftSettings: strict),
        .testTarget(name: "NMEATests", dependencies: ["NMEA", "OrbitaModel", "OrbitaTesting"], swiftSettings: strict),
        .testTarget(
            name: "IngestTests", dependencies: ["Ingest", "NMEA", "OrbitaModel"], swiftSettings: strict),
        .testTarget(name: "ConsoleMapTests", dependencies: ["ConsoleMap", "OrbitaModel"], swiftSettings: strict),
        .testTarget(
            name: "OrbitaServerTests", dependencies: ["OrbitaServer", "Ingest", "Tracking"], swiftSettings: strict),
        .testTarget(
            name: "OrbitaCommandsTests",
            dependencies: [
                "OrbitaCommands", "NMEA", "OrbitaModel", "OrbitaTesting", "OrbitaWire", "Storage", "StoreFactory",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
