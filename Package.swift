// swift-tools-version:6.0
import PackageDescription

/// One set of Swift settings for every target, as swift-nio does.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // The data plane is single-threaded per event loop and its state is only touched there;
    // dynamic exclusivity checks cost ~2 % of a proxied request (perf profile, Benchmarks/).
    // Debug builds keep them.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "portico",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portico", targets: ["portico"]),
        // For the libFuzzer package in Tests/Fuzz.
        .library(name: "PorticoProxy", targets: ["PorticoProxy"]),
        .library(name: "PorticoKube", targets: ["PorticoKube"]),
        .library(name: "PorticoConfig", targets: ["PorticoConfig"]),
        .library(name: "PorticoRouting", targets: ["PorticoRouting"]),
        .library(name: "PorticoRegex", targets: ["PorticoRegex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Already in the graph through swift-nio; used directly for lock-free shared tables.
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        // HTTP/2 framing, HPACK and flow control for the downstream h2 connections.
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    ],
    targets: [
        // C shims: no logic, only what the clang importer cannot see.
        .systemLibrary(
            name: "CPorticoPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CPorticoOpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CPorticoCrypt",
            pkgConfig: "libxcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        // htpasswd hashes checked as nginx's auth_basic checks them.
        .target(
            name: "PorticoPasswords",
            dependencies: ["CPorticoCrypt", "CPorticoOpenSSL"],
            swiftSettings: swiftSettings
        ),
        // Located messages about the configuration, shared by every layer that reports them.
        .target(
            name: "PorticoDiagnostics",
            swiftSettings: swiftSettings
        ),
        // PCRE2 behind a Swift value type.
        .target(
            name: "PorticoRegex",
            dependencies: ["CPorticoPCRE2"],
            swiftSettings: swiftSettings
        ),
        // The routing model: pure, no I/O.
        .target(
            name: "PorticoRouting",
            dependencies: ["PorticoRegex", "PorticoDiagnostics"],
            swiftSettings: swiftSettings
        ),
        // Kubernetes objects decoded from manifests, with located errors.
        .target(
            name: "PorticoKube",
            dependencies: ["PorticoDiagnostics", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Manifests in, routing snapshot out.
        .target(
            name: "PorticoConfig",
            dependencies: [
                "PorticoDiagnostics", "PorticoKube", "PorticoRouting", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // TLS termination on the system OpenSSL, over memory BIOs.
        .target(
            name: "PorticoTLS",
            dependencies: [
                "CPorticoOpenSSL", "PorticoDiagnostics", "PorticoRouting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The data plane.
        .target(
            name: "PorticoProxy",
            dependencies: [
                "PorticoRouting",
                "PorticoTLS",
                "PorticoPasswords",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The route map of the serving generation (`/routes`, `/routes.json`): routes, endpoint
        // states, recent rates, certificates, diagnostics.
        .target(
            name: "PorticoRouteMap",
            dependencies: ["PorticoDiagnostics", "PorticoProxy", "PorticoRouting", "PorticoTLS"],
            swiftSettings: swiftSettings
        ),
        // The proxy's spans sent to an OpenTelemetry collector over OTLP/HTTP.
        .target(
            name: "PorticoTracing",
            dependencies: [
                "PorticoProxy", "PorticoRouting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Kubernetes API as a configuration source: list/watch into the same cluster state
        // the directory provider produces, leader election, Ingress status.
        .target(
            name: "PorticoKubernetes",
            dependencies: [
                "PorticoConfig", "PorticoDiagnostics", "PorticoKube", "PorticoRouting", "PorticoTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Echo / "Hello One" backends for the shipped example and the end-to-end tests.
        .target(
            name: "PorticoDemoBackend",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "portico",
            dependencies: [
                "PorticoConfig",
                "PorticoDiagnostics",
                "PorticoProxy",
                "PorticoRouteMap",
                "PorticoTracing",
                "PorticoTLS",
                "PorticoDemoBackend",
                "PorticoKubernetes",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoRegexTests",
            dependencies: ["PorticoRegex"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoRoutingTests",
            dependencies: ["PorticoRouting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoConfigTests",
            dependencies: ["PorticoConfig", "PorticoDiagnostics", "PorticoKube", "PorticoRouting"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoKubernetesTests",
            dependencies: ["PorticoKubernetes", "PorticoKube"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoPasswordsTests",
            dependencies: ["PorticoPasswords"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoTLSTests",
            dependencies: [
                "PorticoTLS", "CPorticoOpenSSL", "PorticoRouting",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoRouteMapTests",
            dependencies: ["PorticoRouteMap", "PorticoProxy", "PorticoRouting", "PorticoTLS", "PorticoDiagnostics"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoProxyTests",
            dependencies: [
                "PorticoProxy",
                "PorticoTracing",
                "PorticoRouting",
                "PorticoTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoEndToEndTests",
            dependencies: [
                "portico",
                "PorticoDemoBackend",
                "PorticoTLS",
                "PorticoRouting",
                "PorticoKube",
                "PorticoKubernetes",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
