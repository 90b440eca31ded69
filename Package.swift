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
        // Small C kernels for loops Swift cannot vectorize without compiler flags
        // (square roots: Swift keeps the errno-setting libm fallback per element).
        .target(name: "CKernels"),
        .target(
            name: "Tensors",
            dependencies: [
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
                "CKernels",
            ]
        ),
        .target(name: "NN", dependencies: ["Tensors"]),
        .target(name: "Benchmarks", dependencies: ["NN", "Tensors"]),
        .executableTarget(
            name: "swiftgan",
            dependencies: [
                "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors"]),
    ],
    // Swift 5 mode: kernels hand raw buffer pointers to worker threads, which Swift 6's strict
    // sendability checking rejects without adding anything the kernels' own discipline doesn't give.
    swiftLanguageModes: [.v5]
)
