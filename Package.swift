// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "FATNN",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fatnn-coord", targets: ["fatnn-coord"]),
        .executable(name: "fatnn-worker", targets: ["fatnn-worker"]),
        .executable(name: "fatnn", targets: ["fatnn"]),
        .library(name: "FATNNEngine", targets: ["FATNNEngine"]),
        .library(name: "FATNNJobs", targets: ["FATNNJobs"]),
        .library(name: "FATNNVocabulary", targets: ["FATNNVocabulary"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // C shims: system libraries, each in its own target.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // Packed bit-plane kernels in C: scalar, AVX2 and AVX-512 paths chosen at run time.
        // Optimized in every configuration, as CFloatKernels: the tests check the code release runs.
        .target(name: "CTernaryKernels", cSettings: [.unsafeFlags(["-O2"])]),
        // Direct float convolution kernels in C: scalar and AVX2 + FMA paths chosen at run time.
        // Optimized in every configuration: training in debug test builds runs on them (at -O0
        // a resnet step is ~20x slower), and the tests then check the code that release runs.
        .target(name: "CFloatKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // The closed sets of names (models, datasets, quantizer kinds and their parameters,
        // optimizers, schedules) that the engine, jobs and commands share. No dependencies.
        .target(name: "FATNNVocabulary"),

        // The engine: tensors, data, models, training. No networking, no database.
        // Optimized in debug builds too (-O after SwiftPM's -Onone): the tests train real networks.
        .target(name: "FATNNEngine", dependencies: ["FATNNVocabulary", "CZlib", "COpenBLAS", "CMalloc", "CTernaryKernels", "CFloatKernels"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        // Job, sweep and result types shared by coordinator and worker.
        .target(name: "FATNNJobs", dependencies: ["FATNNVocabulary"]),

        // SQLite store, HTTP API, leaderboard queries. The engine only to check uploaded models.
        .target(name: "FATNNCoordinator", dependencies: [
            "FATNNJobs", "FATNNEngine", "FATNNVocabulary",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // HTTP client of the coordinator's API, used by workers and the CLI.
        .target(name: "FATNNClient", dependencies: [
            "FATNNJobs",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // A lab certificate authority and server certificates (`fatnn-coord tls init`): kept apart
        // because swift-certificates brings a second BoringSSL build.
        .target(name: "FATNNCertificates", dependencies: [
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),

        // Command-line options shared by the executables that talk to a coordinator.
        .target(name: "FATNNCommandLine", dependencies: [
            "FATNNClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The worker's run loop: claim, train, report.
        // The PostgreSQL job store (several coordinators on one database), beside the SQLite one.
        .target(name: "FATNNPostgresStore", dependencies: [
            "FATNNCoordinator", "FATNNJobs", "FATNNVocabulary",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "FATNNWorker", dependencies: [
            "FATNNEngine", "FATNNJobs", "FATNNVocabulary", "FATNNClient", "FATNNCommandLine",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),

        // Launchers: sbatch scripts and Kubernetes manifests of workers (no dependencies).
        .target(name: "FATNNLaunch"),

        .executableTarget(name: "fatnn-coord", dependencies: [
            "FATNNCoordinator", "FATNNLaunch", "FATNNPostgresStore", "FATNNClient", "FATNNJobs", "FATNNCommandLine", "FATNNCertificates",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "fatnn-worker", dependencies: [
            "FATNNWorker", "FATNNClient", "FATNNEngine", "FATNNCommandLine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "fatnn", dependencies: [
            "FATNNEngine", "FATNNJobs", "FATNNVocabulary", "FATNNWorker", "FATNNClient", "FATNNCommandLine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fixtures shared by the test targets (small IDX datasets in the real formats).
        .target(name: "FATNNTestSupport", dependencies: ["CZlib"], path: "Tests/FATNNTestSupport"),
        .testTarget(name: "FATNNEngineTests", dependencies: ["FATNNEngine", "FATNNVocabulary", "FATNNTestSupport", "CFloatKernels"]),
        .testTarget(name: "FATNNWorkerTests", dependencies: [
            "FATNNWorker", "FATNNClient", "FATNNEngine", "FATNNJobs", "FATNNVocabulary",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "FATNNJobsTests", dependencies: ["FATNNJobs", "FATNNVocabulary"], exclude: ["Fixtures"]),
        .testTarget(name: "FATNNLaunchTests", dependencies: ["FATNNLaunch"], exclude: ["Fixtures"]),
        .testTarget(name: "FATNNCoordinatorTests", dependencies: [
            "FATNNCoordinator", "FATNNPostgresStore", "FATNNJobs", "FATNNEngine", "FATNNVocabulary",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "FATNNCoordinator", "FATNNClient", "FATNNWorker", "FATNNJobs", "FATNNEngine", "FATNNVocabulary", "FATNNTestSupport", "FATNNCertificates",
            .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
        ]),
    ]
)
