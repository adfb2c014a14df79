// swift-tools-version: 6.0
// feed-service: kstlib-swift in a Swift server application (Hummingbird, ServiceGroup, Prometheus).
// A package of its own so that the main package's `make test` never builds Hummingbird.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "feed-service",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "kstlib-swift", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "feed-service",
            dependencies: [
                .product(name: "KstlibWebSocket", package: "kstlib-swift"),
                .product(name: "KstlibWebSocketServer", package: "kstlib-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FeedServiceTests",
            dependencies: [.product(name: "KstlibWebSocketServer", package: "kstlib-swift")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
