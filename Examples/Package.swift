// swift-tools-version:6.1
import Foundation
import PackageDescription

// Small programs that use SwiftGAN as a dependent package does: through its `SwiftGAN` product,
// by path. CI builds and runs every one of them (Tests/PackageTests), so they cannot rot.
//
// SwiftPM names a path dependency after its folder, so the product's package is the name of the
// folder this checkout lives in (`swiftgan` for a clone made with its default name). A package of
// your own that depends on SwiftGAN by URL writes `package: "swiftgan"`.
let swiftgan = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SwiftGANExamples",
    platforms: [.macOS(.v13)],
    // The libraries only: without the default trait (the `swiftgan` command), swift-argument-parser
    // is not fetched.
    dependencies: [.package(path: "..", traits: [])],
    targets: [
        // The layers and the model the programs share: a user's own code, as a library target.
        .target(name: "ShapesGAN", dependencies: [.product(name: "SwiftGAN", package: swiftgan)])
    ]
        + ["custom-loop", "custom-layer", "custom-gan", "evaluate-generator"].map { name in
            .executableTarget(name: name, dependencies: ["ShapesGAN", .product(name: "SwiftGAN", package: swiftgan)])
        },
    swiftLanguageModes: [.v5]
)
