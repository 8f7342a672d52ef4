// swift-tools-version:6.0
import PackageDescription

// No Swift package dependencies: the toolchain's FoundationEssentials plus Debian's C libraries,
// each reached through exactly one system-library module and one Swift adapter target.
let package = Package(
    name: "presignd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "presignd", targets: ["presignd"]),
    ],
    targets: [
        // C libraries: a module map and a shim header each, no logic.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Thin Swift wrappers: the only targets that import the C modules.
        .target(name: "PresigndCrypto", dependencies: ["CCrypto"]),
        .target(name: "PresigndFastCGI", dependencies: ["CFastCGI", "PresigndCore"]),
        .target(name: "PresigndPostgres", dependencies: ["CLibPQ"]),
        .target(name: "PresigndHTTPClient", dependencies: ["CCurl"]),

        // Pure logic, no I/O: signing, policies, JWT, routing, validation, JSON.
        .target(name: "PresigndCore", dependencies: ["PresigndCrypto"], linkerSettings: [.linkedLibrary("m")]),

        // The product's routes and flows, written against protocols the adapters implement.
        .target(name: "PresigndApp", dependencies: ["PresigndCore"]),

        // The flows' adapters: the PostgreSQL document store and the S3 object store.
        .target(name: "PresigndStorage", dependencies: ["PresigndApp", "PresigndCore", "PresigndPostgres", "PresigndHTTPClient"]),

        // Wiring only.
        .executableTarget(
            name: "presignd",
            dependencies: ["PresigndApp", "PresigndCore", "PresigndCrypto", "PresigndFastCGI", "PresigndPostgres", "PresigndHTTPClient",
                           "PresigndStorage"]
        ),

        // Not part of the product: in-process signing throughput for bench/signing.sh.
        .executableTarget(name: "presignd-bench", dependencies: ["PresigndCore", "PresigndCrypto"]),

        .testTarget(
            name: "PresigndCoreTests",
            dependencies: ["PresigndCore", "PresigndCrypto"],
            exclude: ["Vectors"]  // read through #filePath, not bundled
        ),
        .testTarget(
            name: "PresigndAppTests",
            dependencies: ["PresigndApp", "PresigndCore"]
        ),
        .testTarget(
            name: "PresigndAdapterTests",
            dependencies: ["PresigndHTTPClient", "PresigndPostgres", "PresigndStorage", "PresigndApp", "PresigndCore"]
        ),
    ]
)
