// swift-tools-version:6.0
import PackageDescription

// No Swift package dependencies: the toolchain's FoundationEssentials plus Debian's C libraries,
// each reached through exactly one system-library module and one Swift adapter target.
// The package exports no library: declarations shared between targets are `package`; the only
// `public` ones are a few tiny `@inlinable` byte helpers (ASCII, ByteWord), because the optimiser
// inlines across targets only what is public. Every target depends only on the targets listed (README, "Layout"), and these
// settings make the compiler hold the walls: an import names what a file uses (members too),
// an import is internal unless a declaration needs more, and an existential says `any`.
let walls: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Borrowed C memory (libfcgi's params) is lent as `~Escapable` spans the compiler keeps from
    // escaping the call; declaring such a type needs lifetime annotations (`@_lifetime`).
    .enableExperimentalFeature("Lifetimes"),
    // The walls are for readers, not for the optimiser: a release build still specialises and
    // inlines across the targets as it did when they were one (the write path stays at the floor).
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

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
        // sigaction, prctl, environ and epoll as Swift can call them: header-only, nothing to link.
        .systemLibrary(name: "CPosixShims"),

        // Thin Swift wrappers: the only targets that import the C modules.
        .target(name: "PresigndCrypto", dependencies: ["CCrypto"], swiftSettings: walls),
        .target(name: "PresigndPostgres", dependencies: ["CLibPQ"], swiftSettings: walls),
        .target(name: "PresigndHTTPClient", dependencies: ["CCurl"], swiftSettings: walls),

        // Pure logic, no I/O, in layers: each may use only the ones above it.
        .target(name: "PresigndSupport", swiftSettings: walls, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "PresigndHTTP", dependencies: ["PresigndSupport"], swiftSettings: walls),
        .target(name: "PresigndJWT", dependencies: ["PresigndSupport", "PresigndHTTP", "PresigndCrypto"], swiftSettings: walls),
        .target(name: "PresigndSigning", dependencies: ["PresigndSupport", "PresigndHTTP", "PresigndCrypto"], swiftSettings: walls),
        .target(name: "PresigndUploads", dependencies: ["PresigndSupport", "PresigndHTTP", "PresigndSigning", "PresigndCrypto"],
                swiftSettings: walls),
        // The shared-memory metrics table and the series presignd counts.
        .target(name: "PresigndMetrics", dependencies: ["PresigndSupport"], swiftSettings: walls),

        // Serving: FastCGI and CGI, the prefork supervisor and its state machine.
        .target(name: "PresigndFastCGI", dependencies: ["CFastCGI", "CPosixShims", "PresigndSupport", "PresigndHTTP", "PresigndMetrics"],
                swiftSettings: walls),

        // The product's routes and flows, written against protocols the adapters implement.
        .target(name: "PresigndApp",
                dependencies: ["PresigndSupport", "PresigndHTTP", "PresigndJWT", "PresigndSigning", "PresigndUploads", "PresigndMetrics",
                               "PresigndCrypto"],
                resources: [.embedInCode("OpenAPI/openapi.json")],  // no Foundation needed to read it
                swiftSettings: walls),

        // The flows' adapters: the PostgreSQL document store and the S3 object store.
        .target(name: "PresigndStorage",
                dependencies: ["PresigndApp", "PresigndSupport", "PresigndHTTP", "PresigndJWT", "PresigndSigning", "PresigndUploads",
                               "PresigndMetrics", "PresigndPostgres", "PresigndHTTPClient", "PresigndCrypto"],
                swiftSettings: walls),

        // Wiring only.
        .executableTarget(
            name: "presignd",
            dependencies: ["PresigndApp", "PresigndSupport", "PresigndHTTP", "PresigndJWT", "PresigndSigning", "PresigndUploads",
                           "PresigndMetrics", "PresigndCrypto", "PresigndFastCGI", "PresigndPostgres", "PresigndHTTPClient",
                           "PresigndStorage"],
            swiftSettings: walls
        ),

        // Not part of the product: in-process signing throughput for bench/signing.sh.
        .executableTarget(name: "presignd-bench",
                          dependencies: ["PresigndSupport", "PresigndHTTP", "PresigndJWT", "PresigndSigning", "PresigndMetrics",
                                         "PresigndCrypto"],
                          swiftSettings: walls),

        .testTarget(
            name: "PresigndCoreTests",
            dependencies: ["PresigndSupport", "PresigndHTTP", "PresigndJWT", "PresigndSigning", "PresigndUploads", "PresigndMetrics",
                           "PresigndCrypto"],
            exclude: ["Vectors"]  // read through #filePath, not bundled
        ),
        .testTarget(
            name: "PresigndFastCGITests",
            dependencies: ["PresigndFastCGI", "PresigndSupport", "PresigndHTTP"]
        ),
        .testTarget(
            name: "PresigndAppTests",
            dependencies: ["PresigndApp", "PresigndSupport", "PresigndHTTP", "PresigndJWT", "PresigndSigning", "PresigndUploads",
                           "PresigndMetrics", "PresigndCrypto"]
        ),
        .testTarget(
            name: "PresigndAdapterTests",
            dependencies: ["PresigndHTTPClient", "PresigndPostgres", "PresigndStorage", "PresigndApp", "PresigndSupport", "PresigndHTTP",
                           "PresigndSigning", "PresigndUploads", "PresigndMetrics"]
        ),
    ]
)
