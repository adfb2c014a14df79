// swift-tools-version: 6.0
// kstlib-fuzz: libFuzzer targets for the parsers that read hostile input (URL, configuration
// file, JSON helpers, handshake options, proxy variables, UTF-8, a refused upgrade's HTTP
// answer). A package of its own so the root package's test build never compiles it. Built and
// run by `make fuzz` at the root.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kstlib-swift-fuzz",
    // Linux only: the code imports Glibc and libwebsockets comes from apt (or `make compat`).
    // No platforms list, because none other than Linux is built or tested.
    dependencies: [
        // Named explicitly: a path dependency is otherwise identified by its folder name, which
        // depends on where the repository was cloned.
        .package(name: "kstlib-swift", path: "..")
    ],
    targets: fuzzTargets(
        "fuzz-url", "fuzz-config", "fuzz-json", "fuzz-handshake", "fuzz-proxy", "fuzz-utf8", "fuzz-http"
    ) + [
        // Reading typed values out of the fuzzer's bytes, and failing loudly on a broken invariant.
        .target(name: "FuzzSupport", swiftSettings: strict)
    ],
    swiftLanguageModes: [.v6]
)

/// One executable per fuzz target; libFuzzer supplies `main`, so each is compiled as a library.
func fuzzTargets(_ names: String...) -> [Target] {
    names.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "KstlibWebSocket", package: "kstlib-swift"),
            ],
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]
        )
    }
}
