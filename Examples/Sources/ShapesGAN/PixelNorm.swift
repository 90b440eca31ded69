import Foundation
import SwiftGAN

/// Pixel normalization (Karras et al. 2018, ProGAN): each pixel's feature vector divided by its
/// root mean square over the channels (the last axis),
///
///     y = x / √(mean_c(x²) + ε)
///
/// written as an op of one's own: the forward over raw buffers, and its backward
///
///     ∂L/∂x = r·g − (r³ / C)·x·Σ_c(g·x),   r = (mean_c(x²) + ε)^(−½),
///
/// as a raw loop for an ordinary backward pass and as tensor operations when the backward pass
/// is itself recorded (so gradient penalties differentiate through it).
public func pixelNormalized(_ x: Tensor, epsilon: Float = 1e-8) -> Tensor {
    let channels = x.shape.last!, rows = x.count / channels
    let y = Tensor(uninitialized: x.shape)
    let px = x.data, py = y.data
    for row in 0..<rows {
        let base = row * channels
        var squares: Float = 0
        for c in 0..<channels { squares += px[base + c] * px[base + c] }
        let r = 1 / (squares / Float(channels) + epsilon).squareRoot()
        for c in 0..<channels { py[base + c] = px[base + c] * r }
    }
    return Tensor.record("pixelNormalized", y, [x]) { g, _ in
        if GradMode.isEnabled {
            let r = ((x * x).mean(alongAxis: -1, keepingDimensions: true) + epsilon).pow(-0.5)
            let gx = (g * x).sum(alongAxis: -1, keepingDimensions: true)
            return [r * g - r * r * r * x * gx / Float(channels)]
        }
        let dx = Tensor(uninitialized: x.shape)
        let pg = g.data, pd = dx.data
        for row in 0..<rows {
            let base = row * channels
            var squares: Float = 0, gx: Float = 0
            for c in 0..<channels { squares += px[base + c] * px[base + c]; gx += pg[base + c] * px[base + c] }
            let r = 1 / (squares / Float(channels) + epsilon).squareRoot()
            for c in 0..<channels { pd[base + c] = r * pg[base + c] - r * r * r * px[base + c] * gx / Float(channels) }
        }
        return [dx]
    }
}

/// ``pixelNormalized(_:epsilon:)`` as a layer: no parameters, the same in training and inference.
public final class PixelNorm: UnaryLayer {
    public let epsilon: Float
    public init(epsilon: Float = 1e-8) { self.epsilon = epsilon }
    public func callAsFunction(_ x: Tensor) -> Tensor { pixelNormalized(x, epsilon: epsilon) }
}

extension PixelNorm: ONNXExportable {
    /// x / √(ReduceMean(x², channel axis) + ε), on the channel axis of ONNX's layout (axis 1).
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.channelsFirst(x)
        let squares = onnx.graph.node("Mul", [input.name, input.name])
        let mean = onnx.graph.node("ReduceMean", [squares], nil, [("axes", .ints([1])), ("keepdims", .int(1))])
        let eps = onnx.graph.constant("epsilon", [epsilon], shape: [])
        let root = onnx.graph.node("Sqrt", [onnx.graph.node("Add", [mean, eps])])
        return ONNXValue(name: onnx.graph.node("Div", [input.name, root]), layout: input.layout)
    }
}
