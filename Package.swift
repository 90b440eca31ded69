// swift-tools-version:6.0
import PackageDescription

// BLAS comes from the system: OpenBLAS (Debian `libopenblas-dev`, pthread build) on Linux through a
// system-library target, Accelerate on Apple platforms. No `unsafeFlags` anywhere, so every library
// product stays usable as a dependency of other packages.
let package = Package(
    name: "SwiftGAN",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Artifacts", targets: ["Artifacts"]),
        .library(name: "GAN", targets: ["GAN"]),
        .executable(name: "swiftgan", targets: ["swiftgan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        // Small C kernels for loops Swift cannot vectorize without compiler flags
        // (square roots: Swift keeps the errno-setting libm fallback per element).
        .target(name: "CKernels"),
        // oneDNN 2.x convolutions when the machine has them (Debian `libdnnl-dev`): the header is
        // optional at build time and the library is opened with dlopen, so nothing links to it and
        // a machine without it builds and runs the portable path.
        .target(name: "CDNNL", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(
            name: "Tensors",
            dependencies: [
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
                "CKernels", "CDNNL",
            ]
        ),
        .target(name: "NN", dependencies: ["Tensors"]),
        .target(name: "Artifacts", dependencies: ["CZlib"]),
        .target(name: "Datasets", dependencies: ["Tensors", "CZlib", "CPNG", "CJPEG"]),
        // The trained evaluator networks behind `swiftgan evaluate` ship as resources.
        .target(name: "GAN", dependencies: ["NN", "Tensors", "Datasets", "Artifacts"], resources: [.copy("Evaluators")]),
        .target(name: "Benchmarks", dependencies: ["GAN", "NN", "Tensors"]),
        .executableTarget(
            name: "swiftgan",
            dependencies: [
                "Benchmarks", "GAN", "Datasets", "Artifacts", "NN", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Every parser of outside input as a function of bytes (Fuzz/Targets), the command that
        // fuzzes them when built with `--sanitize=fuzzer` and replays files otherwise, and the test
        // that replays what the fuzzers found (scripts/fuzz).
        .target(name: "Fuzzing", dependencies: ["GAN", "Datasets", "Artifacts", "Tensors"], path: "Fuzz/Targets"),
        .executableTarget(name: "swiftgan-fuzz", dependencies: ["Fuzzing"], path: "Fuzz/Driver"),
        .testTarget(name: "FuzzTests", dependencies: ["Fuzzing", "Datasets", "Artifacts"], path: "Fuzz/Tests"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors"]),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "CZlib"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensors", "CZlib", "CPNG", "CJPEG"]),
        .testTarget(name: "GANTests", dependencies: ["GAN", "Datasets", "Artifacts", "NN", "Tensors"]),
    ],
    // Swift 5 mode: kernels hand raw buffer pointers to worker threads, which Swift 6's strict
    // sendability checking rejects without adding anything the kernels' own discipline doesn't give.
    swiftLanguageModes: [.v5]
)
