// swift-tools-version:6.0
// libFuzzer targets for every decoder of bytes that cross a process boundary. Kept out of the
// main package: built only by scripts/fuzz.sh, with `--sanitize fuzzer --sanitize address`.
import PackageDescription

let package = Package(
    name: "FATNNFuzz",
    dependencies: [.package(name: "FATNN", path: "../..")],
    targets: [
        .executableTarget(name: "fatnn-fuzz", dependencies: [
            .product(name: "FATNNEngine", package: "FATNN"),
            .product(name: "FATNNJobs", package: "FATNN"),
            .product(name: "FATNNVocabulary", package: "FATNN"),
        ], path: "Sources"),
    ]
)
