import SwiftGANNN
import SwiftGANTensors

/// A layer that writes itself into an ONNX graph (``ONNXExport``), in inference mode: BatchNorm
/// with its running statistics, Dropout as nothing. Every one-input layer of the zoo adopts it
/// below (those that take labels adopt ``ONNXLabelledExportable``); a layer of one's own adopts it
/// the same way, with the builder's helpers for the layouts.
///
/// ```swift
/// extension PixelNorm: ONNXExportable {
///     public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
///         let input = onnx.channelsFirst(x)   // channels on axis 1, for images and vectors alike
///         let squares = onnx.graph.node("Mul", [input.name, input.name])
///         let mean = onnx.graph.node("ReduceMean", [squares], nil, [("axes", .ints([1]))])
///         let eps = onnx.graph.constant("eps", [1e-8], shape: [])
///         let root = onnx.graph.node("Sqrt", [onnx.graph.node("Add", [mean, eps])])
///         return ONNXValue(name: onnx.graph.node("Div", [input.name, root]), layout: input.layout)
///     }
/// }
/// ```
public protocol ONNXExportable {
    /// Emits this layer on `x` and returns its output.
    func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue
}

/// A value of the graph being written, with the layout of its axes.
public typealias ONNXValue = ONNXExport.Value
/// The graph being written, with helpers (``ONNXExport/Builder``).
public typealias ONNXBuilder = ONNXExport.Builder

/// A layer computed from one weight (``WeightedLayer``) that can be written with another weight
/// in its place: spectral norm exports W / σ through it.
public protocol ONNXWeightedExportable: WeightedLayer, ONNXExportable {
    func emitONNX(_ x: ONNXValue, weight: Tensor, into onnx: inout ONNXBuilder) throws -> ONNXValue
}

extension ONNXWeightedExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        try emitONNX(x, weight: weight, into: &onnx)
    }
}

extension Sequential: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        try layers.reduce(x) { try onnx.emit($1, $0) }
    }
}

extension Dense: ONNXWeightedExportable {
    public func emitONNX(_ x: ONNXValue, weight: Tensor, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        try onnx.dense(x, weight: weight, bias: bias)
    }
}

extension Conv2D: ONNXWeightedExportable {
    public func emitONNX(_ x: ONNXValue, weight: Tensor, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        try onnx.conv(x, kernel: weight, bias: bias, stride: stride, padding: padding)
    }
}

extension SpectralNorm: ONNXExportable {
    /// The layer with W / σ from the stored vectors, as PyTorch's eval mode.
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        guard let inner = layer as? any ONNXWeightedExportable else {
            throw GANError("ONNX export: no ONNX form for \(type(of: layer)) under spectral norm yet")
        }
        return try inner.emitONNX(x, weight: withoutGrad { layer.weight / sigma }, into: &onnx)
    }
}

extension ConvTranspose2D: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        try onnx.convTranspose(x, self)
    }
}

extension BatchNorm: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.channelsFirst(x)
        let inputs =
            [input.name]
            + [("scale", scale), ("offset", offset), ("mean", runningMean), ("variance", runningVariance)]
            .map { onnx.graph.constant("bn_" + $0.0, $0.1.scalars, shape: $0.1.shape) }
        return ONNXValue(
            name: onnx.graph.node("BatchNormalization", inputs, nil, [("epsilon", .float(epsilon))]),
            layout: input.layout)
    }
}

extension Reshape: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.nhwc(x)
        let target = onnx.graph.constant("shape", int64: [0] + shape.map(Int64.init), shape: [shape.count + 1])
        let layout: ONNXValue.Layout
        switch shape.count {
        case 1: layout = .flat(shape[0])
        case 3: layout = .nhwc(shape[0], shape[1], shape[2])
        default: throw GANError("ONNX export: Reshape to \(shape) (only [features] and [h, w, c] are exported)")
        }
        return ONNXValue(name: onnx.graph.node("Reshape", [input.name, target]), layout: layout)
    }
}

extension Flatten: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.nhwc(x)
        guard case .nhwc(let h, let w, let c) = input.layout else { return input }
        return ONNXValue(
            name: onnx.graph.node("Flatten", [input.name], nil, [("axis", .int(1))]), layout: .flat(h * w * c))
    }
}

extension Dropout: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue { x }
}

extension TwoHeads: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let a = try onnx.emit(first, x), b = try onnx.emit(second, x)
        guard case .flat(let m) = a.layout, case .flat(let n) = b.layout else {
            throw onnx.layoutError(a, "two flat heads")
        }
        return ONNXValue(
            name: onnx.graph.node("Concat", [a.name, b.name], nil, [("axis", .int(1))]), layout: .flat(m + n))
    }
}

extension LeakyReLU: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        onnx.activation("LeakyRelu", x, [("alpha", .float(slope))])
    }
}

extension ReLU: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        onnx.activation("Relu", x)
    }
}

extension ELU: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        onnx.activation("Elu", x, [("alpha", .float(alpha))])
    }
}

extension SELU: ONNXExportable {
    /// Tensor.selu's constants, which round to ONNX's defaults in Float.
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        onnx.activation("Selu", x, [("alpha", .float(1.6732632423543772)), ("gamma", .float(1.0507009873554805))])
    }
}

extension Sigmoid: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        onnx.activation("Sigmoid", x)
    }
}

extension Tanh: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        onnx.activation("Tanh", x)
    }
}

extension Upsample: ONNXExportable {
    /// ONNX's Resize, nearest, on NCHW: output pixel y reads input pixel ⌊y / f⌋ ("asymmetric", "floor").
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.channelsFirst(x)
        guard case .nchw(let h, let w, let c) = input.layout else { throw onnx.layoutError(x, "images") }
        let scales = onnx.graph.constant("scales", [1, 1, Float(factor), Float(factor)], shape: [4])
        let y = onnx.graph.node(
            "Resize", [input.name, "", scales], nil,
            [
                ("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")),
                ("nearest_mode", .string("floor")),
            ])
        return ONNXValue(name: y, layout: .nchw(h * factor, w * factor, c))
    }
}

extension AveragePool: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.channelsFirst(x)
        guard case .nchw(let h, let w, let c) = input.layout else { throw onnx.layoutError(x, "images") }
        let y = onnx.graph.node(
            "AveragePool", [input.name], nil,
            [
                ("kernel_shape", .ints([Int64(factor), Int64(factor)])),
                ("strides", .ints([Int64(factor), Int64(factor)])),
            ])
        return ONNXValue(name: y, layout: .nchw(h / factor, w / factor, c))
    }
}

extension GlobalSumPool: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let input = onnx.channelsFirst(x)
        guard case .nchw(_, _, let c) = input.layout else { throw onnx.layoutError(x, "images") }
        let axes = onnx.graph.constant("axes", int64: [2, 3], shape: [2])
        return ONNXValue(
            name: onnx.graph.node("ReduceSum", [input.name, axes], nil, [("keepdims", .int(0))]), layout: .flat(c))
    }
}
