// swift-tools-version:6.0
// libFuzzer targets, a package of their own so the main package's executables keep their
// normal `main`. Build and run: Tests/Fuzz/run.sh [seconds-per-target].
import PackageDescription

let package = Package(
    name: "portico-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "portico", path: "../..")],
    targets: [
        .executableTarget(
            name: "FuzzRequestFraming",
            dependencies: [.product(name: "PorticoProxy", package: "portico")]
        ),
        .executableTarget(
            name: "FuzzHTTP2Translation",
            dependencies: [.product(name: "PorticoProxy", package: "portico")]
        ),
        .executableTarget(
            name: "FuzzManifestLoader",
            dependencies: [
                .product(name: "PorticoKube", package: "portico"), .product(name: "PorticoConfig", package: "portico"),
            ]
        ),
        .executableTarget(
            name: "FuzzRewrite",
            dependencies: [
                .product(name: "PorticoRouting", package: "portico"), .product(name: "PorticoRegex", package: "portico"),
            ]
        ),
    ]
)
