// A GAN training loop written from scratch with SwiftGAN's engine: the classic ring of eight
// Gaussians (Metz et al. 2017), where a GAN that collapses covers one or two modes and one that
// learns covers all eight. Run: swift run -c release --package-path Examples custom-loop [STEPS]
import Foundation
import SwiftGAN

let steps = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let rng = RandomGenerator(seed: 0)
let batch = 128, noiseSize = 8

/// Real points: one of eight centres on a circle of radius 2, plus N(0, 0.05²) noise.
let centres: [(Float, Float)] = (0..<8).map { k in
    let angle = Float(k) * Float.pi / 4
    return (2 * cos(angle), 2 * sin(angle))
}
func realBatch(_ n: Int) -> Tensor {
    var values: [Float] = []
    for _ in 0..<n {
        let (x, y) = centres[rng.integer(below: 8)]
        values += [x + 0.05 * rng.normal(), y + 0.05 * rng.normal()]
    }
    return Tensor(values, shape: [n, 2])
}

let generator = Sequential([
    Dense(noiseSize, 128, rng: rng), ReLU(), Dense(128, 128, rng: rng), ReLU(), Dense(128, 2, rng: rng),
])
let discriminator = Sequential([
    Dense(2, 128, rng: rng), LeakyReLU(0.2), Dense(128, 128, rng: rng), LeakyReLU(0.2), Dense(128, 1, rng: rng),
])
print(generator)
let gOptimizer = Adam(parameters: generator.parameters, learningRate: 1e-3, beta1: 0.5)
let dOptimizer = Adam(parameters: discriminator.parameters, learningRate: 1e-3, beta1: 0.5)
let ones = Tensor.ones([batch, 1]), zeros = Tensor.zeros([batch, 1])

for step in 1...steps {
    // Train the discriminator: real → 1, fake → 0. The fakes are detached: G is not updated here.
    let fake = generator(Tensor.normal([batch, noiseSize], using: rng))
    let dLoss =
        binaryCrossEntropy(logits: discriminator(realBatch(batch)), targets: ones)
        + binaryCrossEntropy(logits: discriminator(fake.detached()), targets: zeros)
    dOptimizer.step(gradients(of: dLoss, withRespectTo: dOptimizer.parameters))

    // Train the generator through the updated discriminator: only G's parameters are asked for,
    // so D stays as it is (no trainable flag to toggle).
    let gLoss = binaryCrossEntropy(logits: discriminator(fake), targets: ones)
    gOptimizer.step(gradients(of: gLoss, withRespectTo: gOptimizer.parameters))

    if step % 500 == 0 || step == steps {
        print(String(format: "step %5d  D loss %.3f  G loss %.3f", step, dLoss.scalar, gLoss.scalar))
    }
}

// How many of the eight modes the generator covers: a mode counts when at least 2% of 2,000
// samples lie within 0.3 of its centre (the "high-quality samples" of the unrolled-GAN paper).
let samples = withoutGrad { generator(Tensor.normal([2000, noiseSize], using: rng)) }.scalars
var perMode = [Int](repeating: 0, count: 8)
var highQuality = 0
for i in 0..<2000 {
    let (x, y) = (samples[2 * i], samples[2 * i + 1])
    let distances = centres.map { hypot($0.0 - x, $0.1 - y) }
    let nearest = distances.indices.min { distances[$0] < distances[$1] }!
    if distances[nearest] < 0.3 { perMode[nearest] += 1; highQuality += 1 }
}
let covered = perMode.filter { $0 >= 40 }.count
print("modes covered: \(covered) of 8; high-quality samples: \(highQuality * 100 / 2000)%; per mode: \(perMode)")
