// swift-tools-version: 6.0
// kstlib-swift: a Swift WebSocket client over libwebsockets, with kstlib.websocket's manager model.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kstlib-swift",
    // Linux only: the code imports Glibc and libwebsockets comes from apt (or `make compat`).
    // No platforms list, because none other than Linux is built or tested.
    products: [
        .library(name: "Kstlib", targets: ["Kstlib"]),
        .library(name: "KstlibWebSocket", targets: ["KstlibWebSocket"]),
        .library(name: "KstlibWebSocketServer", targets: ["KstlibWebSocketServer"]),
        .executable(name: "kstlib-ws", targets: ["kstlib-ws"]),
        .executable(name: "ws-demo", targets: ["ws-demo"]),
        .executable(name: "echo-client", targets: ["echo-client"]),
        .executable(name: "error-handling", targets: ["error-handling"]),
        .executable(name: "proactive-trading", targets: ["proactive-trading"]),
        .executable(name: "reconnect-demo", targets: ["reconnect-demo"]),
        .executable(name: "sharded-feed", targets: ["sharded-feed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"), // LogHandler.log(event:)
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // `make docs`: the DocC catalog in Sources/KstlibWebSocket/Documentation.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // libwebsockets itself, found through pkg-config; the modulemap lives here, never at the root.
        .systemLibrary(
            name: "CLibWebSockets",
            pkgConfig: "libwebsockets",
            providers: [.apt(["libwebsockets-dev"])]
        ),
        // The few C helpers Swift cannot call directly (LWS_PRE, variadic logging, the log hook).
        .target(
            name: "CLWSShim",
            dependencies: ["CLibWebSockets"],
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        // The one libwebsockets runtime of the client and the embedded server: a context and the
        // thread that services it, and the process's descriptor limit.
        .target(
            name: "KstlibLibWebSockets",
            dependencies: ["CLibWebSockets", "CLWSShim"],
            swiftSettings: strict
        ),
        // The root of the kstlib error hierarchy, shared by future kstlib subsystems.
        .target(name: "Kstlib", swiftSettings: strict),
        .target(
            name: "KstlibWebSocket",
            dependencies: [
                "Kstlib", "KstlibLibWebSockets", "CLibWebSockets", "CLWSShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The embedded libwebsockets server used by the demo, the examples, the tests and the benchmarks.
        .target(
            name: "KstlibWebSocketServer",
            dependencies: [
                "KstlibLibWebSockets", "CLibWebSockets", "CLWSShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // A WebSocket client for the terminal, in the spirit of websocat and wscat.
        .executableTarget(
            name: "kstlib-ws",
            dependencies: [
                "KstlibWebSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ws-demo",
            dependencies: [
                "KstlibWebSocket", "KstlibWebSocketServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/ws-demo",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "echo-client",
            dependencies: [
                "KstlibWebSocket", "KstlibWebSocketServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/echo-client",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "error-handling",
            dependencies: ["KstlibWebSocket", "KstlibWebSocketServer"],
            path: "Examples/error-handling",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "proactive-trading",
            dependencies: ["KstlibWebSocket", "KstlibWebSocketServer"],
            path: "Examples/proactive-trading",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "reconnect-demo",
            dependencies: ["KstlibWebSocket", "KstlibWebSocketServer"],
            path: "Examples/reconnect-demo",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sharded-feed",
            dependencies: ["KstlibWebSocket", "KstlibWebSocketServer"],
            path: "Examples/sharded-feed",
            swiftSettings: strict
        ),
        .testTarget(
            name: "KstlibWebSocketTests",
            dependencies: [
                "KstlibWebSocket", "KstlibWebSocketServer", "KstlibLibWebSockets", "CLibWebSockets", "CLWSShim",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Support/python_websockets_server.py", "Support/rejecting_tls_server.py"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
