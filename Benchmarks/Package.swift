// swift-tools-version: 6.0
// kstlib-bench: benchmarks of the kstlib-swift WebSocket client against a raw C libwebsockets
// client, both talking to the same server: a plain C libwebsockets pusher for `push`, the
// embedded libwebsockets server otherwise. A package of its own so the
// root package's test build never compiles it. Build with `swift build -c release`.
import PackageDescription

let package = Package(
    name: "kstlib-swift-benchmarks",
    // Linux only: the code imports Glibc and libwebsockets comes from apt (or `make compat`).
    // No platforms list, because none other than Linux is built or tested.
    products: [
        .executable(name: "kstlib-bench", targets: ["kstlib-bench"]),
        .executable(name: "c-baseline-client", targets: ["c-baseline-client"]),
        .executable(name: "c-push-server", targets: ["c-push-server"]),
    ],
    dependencies: [
        // Named explicitly: a path dependency is otherwise identified by its folder name, which
        // depends on where the repository was cloned.
        .package(name: "kstlib-swift", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The baseline: a plain C libwebsockets client running the same workloads, with the same
        // context and connection settings as the Swift client's transport.
        .target(
            name: "CBaselineClient",
            linkerSettings: [.linkedLibrary("websockets")]
        ),
        // Its command line: a pure C process, so its RSS holds no Swift runtime.
        .executableTarget(
            name: "c-baseline-client",
            dependencies: ["CBaselineClient"]
        ),
        // The push server: plain C libwebsockets, so a push figure measures the client, not the
        // server; it reports its own send rate per connection.
        .executableTarget(
            name: "c-push-server",
            linkerSettings: [.linkedLibrary("websockets")]
        ),
        // malloc's live-heap count for the Swift client's `conns` report.
        .target(name: "CHeapProbe"),
        // The orchestrator (`run`), the server process (`serve`) and the Swift client (`client`).
        .executableTarget(
            name: "kstlib-bench",
            dependencies: [
                "CHeapProbe",
                .product(name: "KstlibWebSocket", package: "kstlib-swift"),
                .product(name: "KstlibWebSocketServer", package: "kstlib-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
