import SwiftGANNN
import SwiftGANTensors

/// A layer that takes the class labels itself (a ``LabelledLayer``) and writes itself into an ONNX
/// graph (``ONNXExport``), in inference mode. `labels` is the graph's `label` input, [batch] int64,
/// or nil where the network runs unconditionally (as `layer(x, labels: nil)`); the builder's
/// ``ONNXExport/Builder/emit(_:_:labels:)`` hands it on, and a class's row of a table becomes a
/// Gather by the labels (``ONNXExport/Builder/rows(of:_:at:broadcastingOver:)``). The zoo's
/// labelled layers adopt it: conditional BatchNorm and the projection head below, sngan's blocks,
/// generator and discriminator in `SNGAN.swift`.
///
/// ```swift
/// extension ClassBias: ONNXLabelledExportable {   // y = x + bias[label]
///     public func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue {
///         guard let labels else { throw GANError("ClassBias needs labels") }
///         let input = onnx.channelsFirst(x)
///         let bias = try onnx.rows(of: table, "class_bias", at: labels, broadcastingOver: input)
///         return ONNXValue(name: onnx.graph.node("Add", [input.name, bias]), layout: input.layout)
///     }
/// }
/// ```
public protocol ONNXLabelledExportable {
    /// Emits this layer on `x`, conditioned on `labels`, and returns its output.
    func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue
}

extension ConditionalBatchNorm: ONNXLabelledExportable {
    /// The normalization as BatchNorm exports it (the running statistics, γ 1 and β 0), then each
    /// example's class γ and β, Gathered by the labels and shaped [batch, C, 1, 1] over NCHW:
    /// y = BN(x)·γ[label] + β[label], as SwiftGAN computes it.
    public func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        guard let labels else {
            throw GANError("ONNX export: ConditionalBatchNorm needs the labels, and its network is given none")
        }
        let normalized = try onnx.emit(norm, x)
        let gamma = try onnx.rows(of: scale.table, "cbn_scale", at: labels, broadcastingOver: normalized)
        let beta = try onnx.rows(of: offset.table, "cbn_offset", at: labels, broadcastingOver: normalized)
        let scaled = onnx.graph.node("Mul", [normalized.name, gamma])
        return ONNXValue(name: onnx.graph.node("Add", [scaled, beta]), layout: normalized.layout)
    }
}

extension ProjectionDiscriminatorHead: ONNXLabelledExportable {
    /// ψ(φ) + Σ_f embed(y)_f·φ_f: the embedding's rows Gathered by the labels (W / σ under
    /// spectral norm), times the features, summed over them; ψ(φ) alone without labels.
    public func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let unconditional = try onnx.emit(linear, x)
        guard let labels else { return unconditional }
        guard case .flat = x.layout else { throw onnx.layoutError(x, "features [batch, F]") }
        let embedded = try onnx.rows(of: embeddingTable(embedding), "embedding", at: labels, broadcastingOver: x)
        let product = onnx.graph.node("Mul", [embedded, x.name])
        let axes = onnx.graph.constant("axes", int64: [1], shape: [1])
        let projection = onnx.graph.node("ReduceSum", [product, axes], nil, [("keepdims", .int(1))])
        return ONNXValue(name: onnx.graph.node("Add", [unconditional.name, projection]), layout: unconditional.layout)
    }
}

/// The table a projection's embedding looks its rows up in: an ``Embedding``'s own, or W / σ from
/// the stored vectors under ``SpectralNorm`` (as its forward pass in inference mode uses).
private func embeddingTable(_ layer: any UnaryLayer) throws -> Tensor {
    if let embedding = layer as? Embedding { return embedding.table }
    if let normalized = layer as? SpectralNorm, normalized.layer is Embedding {
        return withoutGrad { normalized.layer.weight / normalized.sigma }
    }
    throw GANError("ONNX export: no ONNX form for \(type(of: layer)) as a projection's embedding yet")
}
