// swift-tools-version:6.1
import PackageDescription

// BLAS comes from the system: OpenBLAS (Debian `libopenblas-dev`, pthread build) on Linux through a
// system-library target, Accelerate on Apple platforms. No `unsafeFlags` anywhere, so every library
// product stays usable as a dependency of other packages.
//
// Every target's name starts with `SwiftGAN`, so none collides with a module of another package
// in a dependent's build; the `SwiftGAN` product re-exports the five library modules.
let package = Package(
    name: "SwiftGAN",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SwiftGAN", targets: ["SwiftGAN"]),
        .library(name: "SwiftGANTensors", targets: ["SwiftGANTensors"]),
        .library(name: "SwiftGANNN", targets: ["SwiftGANNN"]),
        .library(name: "SwiftGANDatasets", targets: ["SwiftGANDatasets"]),
        .library(name: "SwiftGANArtifacts", targets: ["SwiftGANArtifacts"]),
        .library(name: "SwiftGANTraining", targets: ["SwiftGANTraining"]),
        .executable(name: "swiftgan", targets: ["SwiftGANCLI"]),
    ],
    // The `swiftgan` command is the default trait: a package that only uses the libraries turns
    // it off (`.package(…, traits: [])`) and SwiftPM does not fetch swift-argument-parser for it.
    traits: [
        .trait(name: "CommandLine", description: "The swiftgan command, which needs swift-argument-parser."),
        .default(enabledTraits: ["CommandLine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target SwiftGAN` builds the DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "SwiftGANCOpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "SwiftGANCZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "SwiftGANCPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "SwiftGANCJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        // Small C kernels for loops Swift cannot vectorize without compiler flags
        // (square roots: Swift keeps the errno-setting libm fallback per element; ELU's expm1, which
        // Swift calls in libm per element; dropout masks; Adam), and the Winograd convolutions. Their
        // AVX-512 and AVX2 builds are function target attributes chosen at run time, not package flags.
        .target(name: "SwiftGANCKernels"),
        // oneDNN 2.x convolutions when the machine has them (Debian `libdnnl-dev`): the header is
        // optional at build time and the library is opened with dlopen, so nothing links to it and
        // a machine without it builds and runs the portable path.
        .target(name: "SwiftGANCDNNL", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // Open MPI's collectives (data-parallel training under `mpirun`), opened at run time the same
        // way: no MPI header or library is needed to build, and without one training runs alone.
        .target(name: "SwiftGANCMPI", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // The engine: tensors, reverse-mode autodiff, kernels behind the backend seam, collectives.
        .target(
            name: "SwiftGANTensors",
            dependencies: [
                .target(name: "SwiftGANCOpenBLAS", condition: .when(platforms: [.linux])),
                "SwiftGANCKernels", "SwiftGANCDNNL", "SwiftGANCMPI",
            ]
        ),
        // Modules, layers, losses, optimizers (modules save themselves as safetensors).
        .target(name: "SwiftGANNN", dependencies: ["SwiftGANTensors", "SwiftGANArtifacts"]),
        // Files: images, GIF, safetensors, NPY, ONNX, TensorBoard, HTML, charts.
        .target(name: "SwiftGANArtifacts", dependencies: ["SwiftGANCZlib"]),
        // Datasets in their published formats, and their discovery and download (Artifacts for
        // FormatError.printable: names read from an image folder reach messages through it).
        .target(
            name: "SwiftGANDatasets",
            dependencies: [
                "SwiftGANTensors", "SwiftGANArtifacts", "SwiftGANCZlib", "SwiftGANCPNG", "SwiftGANCJPEG",
            ]),
        // The GAN layer: zoo, objectives, the trainer, quality. The trained evaluator networks
        // behind `swiftgan evaluate` and the pretrained generators (`--pretrained`, `--init-from`)
        // ship as resources.
        .target(
            name: "SwiftGANTraining",
            dependencies: ["SwiftGANNN", "SwiftGANTensors", "SwiftGANDatasets", "SwiftGANArtifacts"],
            resources: [.copy("Evaluators"), .copy("Pretrained")]
        ),
        // The umbrella: `import SwiftGAN`.
        .target(
            name: "SwiftGAN",
            dependencies: [
                "SwiftGANTensors", "SwiftGANNN", "SwiftGANDatasets", "SwiftGANArtifacts", "SwiftGANTraining",
            ]
        ),
        .target(name: "SwiftGANBenchmarks", dependencies: ["SwiftGANTraining", "SwiftGANNN", "SwiftGANTensors"]),
        .executableTarget(
            name: "SwiftGANCLI",
            dependencies: [
                "SwiftGANBenchmarks", "SwiftGANTraining", "SwiftGANDatasets", "SwiftGANArtifacts", "SwiftGANNN",
                "SwiftGANTensors",
                .product(
                    name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["CommandLine"])),
            ]
        ),
        // Every parser of outside input as a function of bytes (Fuzz/Targets), the command that
        // fuzzes them when built with `--sanitize=fuzzer` and replays files otherwise, and the test
        // that replays what the fuzzers found (scripts/fuzz).
        .target(
            name: "SwiftGANFuzzing",
            dependencies: ["SwiftGANTraining", "SwiftGANDatasets", "SwiftGANArtifacts", "SwiftGANTensors"],
            path: "Fuzz/Targets"
        ),
        .executableTarget(name: "swiftgan-fuzz", dependencies: ["SwiftGANFuzzing"], path: "Fuzz/Driver"),
        .testTarget(
            name: "FuzzTests", dependencies: ["SwiftGANFuzzing", "SwiftGANDatasets", "SwiftGANArtifacts"],
            path: "Fuzz/Tests"),
        // Checks the collectives across the processes `mpirun` starts; TensorsTests runs it (not a product).
        .executableTarget(
            name: "swiftgan-collective-check", dependencies: ["SwiftGANTensors", "SwiftGANCMPI"],
            path: "Sources/SwiftGANCollectiveCheck"),
        .testTarget(name: "TensorsTests", dependencies: ["SwiftGANTensors", "SwiftGANCKernels"]),
        .testTarget(name: "NNTests", dependencies: ["SwiftGANNN", "SwiftGANTensors"]),
        .testTarget(name: "ArtifactsTests", dependencies: ["SwiftGANArtifacts", "SwiftGANCZlib"]),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["SwiftGANDatasets", "SwiftGANTensors", "SwiftGANCZlib", "SwiftGANCPNG", "SwiftGANCJPEG"]
        ),
        // The package as a whole: Examples/ (a package that depends on this one by path) built and
        // run, the DocC catalog built, the sources formatted as .swift-format says.
        .testTarget(name: "PackageTests"),
        .testTarget(
            name: "GANTests",
            dependencies: [
                "SwiftGANTraining", "SwiftGANDatasets", "SwiftGANArtifacts", "SwiftGANNN", "SwiftGANTensors",
                "SwiftGANBenchmarks",
            ]
        ),
    ],
    // Swift 5 mode: kernels hand raw buffer pointers to worker threads, which Swift 6's strict
    // sendability checking rejects without adding anything the kernels' own discipline doesn't give.
    swiftLanguageModes: [.v5]
)
