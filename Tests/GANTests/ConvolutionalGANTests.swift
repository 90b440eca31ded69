import GAN
import NN
import Tensors
import XCTest

final class ConvolutionalGANTests: XCTestCase {
    /// The zoo's convolutional models produce the shapes their sources do, and a training step
    /// changes both networks and returns finite metrics.
    func testShapesAndOneTrainingStep() throws {
        for (name, options) in [("dcgan", ModelOptions()), ("dcgan64", ModelOptions(width: 4)), ("dcgan64", ModelOptions(width: 4, imageSize: 32))] {
            let rng = RandomGenerator(seed: 1)
            let model = try ModelZoo.make(name, options: options, rng: rng)
            let z = model.noise(3, using: rng)
            let fake = model.generator(z)
            XCTAssertEqual(fake.shape, [3] + model.sampleShape, name)
            XCTAssertEqual(model.discriminator(fake).shape, [3, 1], name)
            let step = GANTrainingStep(model: model, rng: rng)
            let before = model.generator.parameters.map(\.scalars), dBefore = model.discriminator.parameters.map(\.scalars)
            let real = Tensor.uniform([4] + model.sampleShape, low: -1, high: 1, using: rng)
            let metrics = step(real: real)
            XCTAssertTrue(metrics.isFinite, name)
            XCTAssertNotEqual(model.generator.parameters.map(\.scalars), before, name)
            XCTAssertNotEqual(model.discriminator.parameters.map(\.scalars), dBefore, name)
        }
    }

    /// The tutorial's exact layer list for dcgan: parameter names and counts.
    func testDCGANParameterCounts() throws {
        let model = try ModelZoo.make("dcgan", rng: RandomGenerator(seed: 0))
        // Dense 100→6272 (+bias), BN(128), ConvT 5×5×64×128 (+64), BN(64), ConvT 5×5×1×64 (+1).
        XCTAssertEqual(model.generator.parameterCount, 100 * 6272 + 6272 + 2 * 128 + 25 * 64 * 128 + 64 + 2 * 64 + 25 * 64 + 1)
        // Conv 5×5×1×64 (+64), Conv 5×5×64×128 (+128), Dense 6272→1 (+1).
        XCTAssertEqual(model.discriminator.parameterCount, 25 * 64 + 64 + 25 * 64 * 128 + 128 + 6272 + 1)
        XCTAssertEqual(model.batchSize, 32)
    }
}
