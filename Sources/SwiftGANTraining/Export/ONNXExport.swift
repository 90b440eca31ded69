import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors

/// A zoo network as an ONNX graph (`swiftgan export --onnx`), in inference mode: BatchNorm with
/// its running statistics, Dropout gone, spectral normalization folded into the weights (W / σ
/// from the stored vectors, as PyTorch's eval mode).
///
/// The graph keeps SwiftGAN's data layout at its edges, as tf2onnx does for Keras models: a
/// generator takes `noise` [batch, noise size] (and, if conditional, `label` [batch] int64) and
/// returns `images` [batch, H, W, C] (NHWC) or `curves` [batch, points]; a discriminator takes
/// `images` (and `label` for cgan and sngan) and returns `logits` [batch, 1] (acgan: [batch,
/// 1 + classes], the real/fake logit then the class logits). Inside, convolutions run on NCHW, as
/// ONNX's Conv/ConvTranspose define them, with a Transpose where the layout changes.
///
/// The label reaches a network the way SwiftGAN gives it: one-hot and joined to the input for a
/// one-input network (cgan, acgan's G; ``GANModel/generatorInput(noise:labels:)``), or as the
/// `label` value itself to a network that takes its labels (a ``LabelledLayer``: sngan's
/// conditional BatchNorm and projection head), which writes itself through
/// ``ONNXLabelledExportable``: a class's row of a table becomes a Gather by the labels.
public enum ONNXExport {
    /// The serialized ONNX model of `model`'s `role` network (`generator` or `discriminator`).
    public static func model(
        _ model: GANModel, role: String, step: Int, classNames: [String]? = nil, producerVersion: String
    ) throws -> [UInt8] {
        var builder = Builder(graph: ONNXGraph(name: "\(model.name)-\(role)"))
        switch role {
        case "generator": try builder.generator(of: model)
        case "discriminator": try builder.discriminator(of: model)
        default: throw GANError("ONNX export: the network is 'generator' or 'discriminator', not '\(role)'")
        }
        var metadata = [
            ("model", model.name), ("network", role), ("step", String(step)),
            ("layout", "NHWC"), ("data_range", "\(model.dataRange.lowerBound)...\(model.dataRange.upperBound)"),
        ]
        if let classNames { metadata.append(("classes", classNames.joined(separator: ","))) }
        return builder.graph.model(producer: "swiftgan", version: producerVersion, metadata: metadata)
    }

    /// A value of the graph and how its axes are laid out.
    public struct Value {
        public enum Layout: Equatable {
            case flat(Int)  // [batch, features]
            case nhwc(Int, Int, Int)  // h, w, c: SwiftGAN's image layout
            case nchw(Int, Int, Int)  // h, w, c: ONNX's convolution layout
        }
        public var name: String
        public var layout: Layout
        public init(name: String, layout: Layout) { (self.name, self.layout) = (name, layout) }
    }

    /// The graph being written, with the helpers layers emit themselves with: layout changes,
    /// activations, and the weighted layers' nodes.
    public struct Builder {
        public var graph: ONNXGraph

        mutating func generator(of model: GANModel) throws {
            graph.input("noise", shape: [nil, model.noiseSize])
            var x = Value(name: "noise", layout: .flat(model.noiseSize))
            let labels = model.classCount > 0 ? labelInput() : nil
            if let labels, !model.generator.takesLabels {
                let oneHotRows = oneHot(labels, classes: model.classCount)
                x = Value(
                    name: graph.node("Concat", [x.name, oneHotRows], nil, [("axis", .int(1))]),
                    layout: .flat(model.noiseSize + model.classCount))
            }
            let y = try emit(model.generator.module, x, labels: model.generator.takesLabels ? labels : nil)
            switch model.sample {
            case .images(let h, let w, let c):
                let images = nhwc(y)
                guard images.layout == .nhwc(h, w, c) else { throw layoutError(y, "images \(h)×\(w)×\(c)") }
                graph.node("Identity", [images.name], "images")
                graph.output("images", shape: [nil, h, w, c])
            case .curves(let points):
                guard y.layout == .flat(points) else { throw layoutError(y, "\(points) curve points") }
                graph.node("Identity", [y.name], "curves")
                graph.output("curves", shape: [nil, points])
            }
        }

        mutating func discriminator(of model: GANModel) throws {
            // A network that takes its labels gets them as they are (GANModel.discriminatorInput).
            let takesLabels = model.discriminator.takesLabels
            var x: Value
            switch model.sample {
            case .images(let h, let w, let c):
                graph.input("images", shape: [nil, h, w, c])
                x = Value(name: "images", layout: .nhwc(h, w, c))
                let sees =
                    takesLabels ? Conditioning.DiscriminatorInput.imagesOnly : model.conditioning.discriminatorSees
                switch sees {
                case .imagesOnly: break
                case .flattenedWithOneHot:
                    let flat = graph.node("Flatten", [x.name], nil, [("axis", .int(1))])
                    let oneHotRows = oneHot(labelInput(), classes: model.classCount)
                    x = Value(
                        name: graph.node("Concat", [flat, oneHotRows], nil, [("axis", .int(1))]),
                        layout: .flat(h * w * c + model.classCount))
                case .oneHotPlanes:
                    // Label c as classCount constant planes, all 0 but plane c (GANModel.discriminatorInput).
                    let k = model.classCount
                    let oneHotRows = oneHot(labelInput(), classes: k)
                    let shape = graph.constant("plane_shape", int64: [0, 1, 1, Int64(k)], shape: [4])
                    let perPixel = graph.node("Reshape", [oneHotRows, shape])
                    let ones = graph.constant("ones", [Float](repeating: 1, count: h * w * k), shape: [1, h, w, k])
                    let planes = graph.node("Mul", [perPixel, ones])
                    x = Value(
                        name: graph.node("Concat", [x.name, planes], nil, [("axis", .int(3))]),
                        layout: .nhwc(h, w, c + k))
                }
            case .curves(let points):
                graph.input("curves", shape: [nil, points])
                x = Value(name: "curves", layout: .flat(points))
            }
            let labels = takesLabels && model.classCount > 0 ? labelInput() : nil
            let y = try emit(model.discriminator.module, x, labels: labels)
            guard case .flat(let logits) = y.layout else { throw layoutError(y, "logits") }
            graph.node("Identity", [y.name], "logits")
            graph.output("logits", shape: [nil, logits])
        }

        /// Declares the graph's `label` input, [batch] int64 (one class per example); returns its name.
        mutating func labelInput() -> String {
            graph.input("label", type: .int64, shape: [nil])
            return "label"
        }

        /// `labels` ([batch] int64) as one-hot rows [batch, classes], float.
        mutating func oneHot(_ labels: String, classes: Int) -> String {
            let depth = graph.constant("depth", int64: [Int64(classes)], shape: [])
            let values = graph.constant("one_hot_values", [0, 1], shape: [2])
            return graph.node("OneHot", [labels, depth, values], nil, [("axis", .int(-1))])
        }

        /// Emits `module` (in inference mode) on `x`: the module writes itself through
        /// ``ONNXExportable``, or, if it takes labels, through ``ONNXLabelledExportable`` with
        /// `labels` (the graph's [batch] int64 label value; nil where the network runs without
        /// labels, as `module(x, labels: nil)`). A module that does neither is an error naming it.
        public mutating func emit(_ module: any Module, _ x: Value, labels: String? = nil) throws -> Value {
            if let labelled = module as? any ONNXLabelledExportable {
                return try labelled.emitONNX(x, labels: labels, into: &self)
            }
            guard let exportable = module as? any ONNXExportable else {
                throw GANError(
                    "ONNX export: no ONNX form for \(type(of: module)) yet (a layer of one's own conforms to "
                        + "ONNXExportable, or to ONNXLabelledExportable if it takes labels)"
                )
            }
            return try exportable.emitONNX(x, into: &self)
        }

        /// Row `labels[i]` of `table` [classes, features] for each example i (a Gather), shaped to
        /// broadcast over `x`'s channels: [batch, C] beside flat values, [batch, C, 1, 1] beside
        /// NCHW images, [batch, 1, 1, C] beside NHWC ones. Returns its value name.
        public mutating func rows(
            of table: Tensor, _ base: String, at labels: String, broadcastingOver x: Value
        ) throws -> String {
            let features = table.shape[1]
            let shape: [Int64]
            switch x.layout {
            case .flat(let c) where c == features: shape = []
            case .nchw(_, _, let c) where c == features: shape = [0, Int64(c), 1, 1]
            case .nhwc(_, _, let c) where c == features: shape = [0, 1, 1, Int64(c)]
            default: throw layoutError(x, "\(features) features (a class table's rows)")
            }
            let t = graph.constant(base, table.scalars, shape: table.shape)
            let gathered = graph.node("Gather", [t, labels], nil, [("axis", .int(0))])
            guard !shape.isEmpty else { return gathered }
            let target = graph.constant(base + "_shape", int64: shape, shape: [4])
            return graph.node("Reshape", [gathered, target])
        }

        public mutating func activation(
            _ op: String, _ x: Value, _ attributes: [(String, ONNXGraph.Attribute)] = []
        ) -> Value {
            Value(name: graph.node(op, [x.name], nil, attributes), layout: x.layout)
        }

        /// x·W + b, W stored [in, out] as ONNX's Gemm takes it (no transpose).
        public mutating func dense(_ x: Value, weight: Tensor, bias: Tensor?) throws -> Value {
            guard x.layout == .flat(weight.shape[0]) else { throw layoutError(x, "[batch, \(weight.shape[0])]") }
            let w = graph.constant("weight", weight.scalars, shape: weight.shape)
            let out = Value.Layout.flat(weight.shape[1])
            guard let bias else { return Value(name: graph.node("MatMul", [x.name, w]), layout: out) }
            let b = graph.constant("bias", bias.scalars, shape: bias.shape)
            return Value(name: graph.node("Gemm", [x.name, w, b]), layout: out)
        }

        /// Conv2D: Keras's kernel [kh, kw, in, out] as ONNX's [out, in, kh, kw]; TensorFlow's
        /// 'same' padding as explicit pads (the odd pixel at the bottom/right).
        public mutating func conv(
            _ x: Value, kernel: Tensor, bias: Tensor?, stride: Int, padding: Padding
        ) throws -> Value {
            let input = channelsFirst(x)
            guard case .nchw(let h, let w, let c) = input.layout, c == kernel.shape[2] else {
                throw layoutError(x, "images of \(kernel.shape[2]) channels")
            }
            let (kh, kw) = (kernel.shape[0], kernel.shape[1])
            let g = ConvGeometry(
                inputHeight: h, inputWidth: w, kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding)
            let padBottom = max((g.outputHeight - 1) * stride + kh - h - g.padTop, 0)
            let padRight = max((g.outputWidth - 1) * stride + kw - w - g.padLeft, 0)
            let k = graph.constant(
                "kernel", withoutGrad { kernel.permuted([3, 2, 0, 1]) }.scalars, shape: [kernel.shape[3], c, kh, kw])
            let b = bias.map { graph.constant("bias", $0.scalars, shape: $0.shape) }
            let y = graph.node(
                "Conv", [input.name, k] + (b.map { [$0] } ?? []), nil,
                [
                    ("kernel_shape", .ints([Int64(kh), Int64(kw)])),
                    ("strides", .ints([Int64(stride), Int64(stride)])),
                    ("pads", .ints([g.padTop, g.padLeft, padBottom, padRight].map(Int64.init))),
                ])
            return Value(name: y, layout: .nchw(g.outputHeight, g.outputWidth, kernel.shape[3]))
        }

        /// ConvTranspose2D: Keras's kernel [kh, kw, out, in] as ONNX's [in, out, kh, kw]. The pads
        /// are those of the convolution it is the adjoint of (ConvGeometry from the output size).
        public mutating func convTranspose(_ x: Value, _ layer: ConvTranspose2D) throws -> Value {
            let kernel = layer.kernel, stride = layer.stride
            let input = channelsFirst(x)
            guard case .nchw(let h, let w, let c) = input.layout, c == kernel.shape[3] else {
                throw layoutError(x, "images of \(kernel.shape[3]) channels")
            }
            let (kh, kw, outChannels) = (kernel.shape[0], kernel.shape[1], kernel.shape[2])
            let outH = ConvGeometry.transposedOutputSize(h, kernel: kh, stride: stride, padding: layer.padding)
            let outW = ConvGeometry.transposedOutputSize(w, kernel: kw, stride: stride, padding: layer.padding)
            let g = ConvGeometry(
                inputHeight: outH, inputWidth: outW, kernelHeight: kh, kernelWidth: kw, stride: stride,
                padding: layer.padding)
            // ONNX: out = stride·(in − 1) + output_padding + k − pad_begin − pad_end.
            let endH = (h - 1) * stride + kh - g.padTop - outH, endW = (w - 1) * stride + kw - g.padLeft - outW
            let k = graph.constant(
                "kernel", withoutGrad { kernel.permuted([3, 2, 0, 1]) }.scalars, shape: [c, outChannels, kh, kw])
            let b = layer.bias.map { graph.constant("bias", $0.scalars, shape: $0.shape) }
            let y = graph.node(
                "ConvTranspose", [input.name, k] + (b.map { [$0] } ?? []), nil,
                [
                    ("kernel_shape", .ints([Int64(kh), Int64(kw)])),
                    ("strides", .ints([Int64(stride), Int64(stride)])),
                    ("pads", .ints([g.padTop, g.padLeft, max(endH, 0), max(endW, 0)].map(Int64.init))),
                    ("output_padding", .ints([max(-endH, 0), max(-endW, 0)].map(Int64.init))),
                ])
            return Value(name: y, layout: .nchw(outH, outW, outChannels))
        }

        /// The value with its channels on axis 1 (images as NCHW; flat values already are).
        public mutating func channelsFirst(_ x: Value) -> Value {
            guard case .nhwc(let h, let w, let c) = x.layout else { return x }
            return Value(
                name: graph.node("Transpose", [x.name], nil, [("perm", .ints([0, 3, 1, 2]))]), layout: .nchw(h, w, c))
        }

        /// The value in SwiftGAN's layout (images as NHWC).
        public mutating func nhwc(_ x: Value) -> Value {
            guard case .nchw(let h, let w, let c) = x.layout else { return x }
            return Value(
                name: graph.node("Transpose", [x.name], nil, [("perm", .ints([0, 2, 3, 1]))]), layout: .nhwc(h, w, c))
        }

        /// a + b, elementwise, in one layout (NCHW if either is).
        public mutating func sum(_ a: Value, _ b: Value) throws -> Value {
            let (x, y) = a.layout == b.layout ? (a, b) : (channelsFirst(a), channelsFirst(b))
            guard x.layout == y.layout else { throw layoutError(b, "the layout of \(a.name), \(a.layout)") }
            return Value(name: graph.node("Add", [x.name, y.name]), layout: x.layout)
        }

        public func layoutError(_ x: Value, _ expected: String) -> GANError {
            GANError("ONNX export: expected \(expected), the graph has \(x.layout) at \(x.name)")
        }
    }
}
