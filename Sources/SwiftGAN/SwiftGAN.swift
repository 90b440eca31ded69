// One `import SwiftGAN` brings the whole library: each module is also a product of its own for a
// dependent that wants less.
@_exported import SwiftGANArtifacts
@_exported import SwiftGANDatasets
@_exported import SwiftGANNN
@_exported import SwiftGANTensors
@_exported import SwiftGANTraining
