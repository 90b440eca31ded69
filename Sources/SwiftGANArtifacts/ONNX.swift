import Foundation

/// An ONNX model (a `ModelProto`, https://onnx.ai/onnx/repo-docs/IR.html): one graph of operator
/// nodes over named values, its weights as float initializers, written in protobuf's wire format.
/// Opset 17 (IR version 8), which ONNX Runtime 1.13 and later run.
///
/// ```swift
/// var graph = ONNXGraph(name: "generator")
/// graph.input("noise", shape: [nil, 100])
/// let w = graph.constant("w", weights, shape: [100, 784])
/// graph.node("MatMul", ["noise", w], "images")
/// graph.output("images", shape: [nil, 784])
/// let bytes = graph.model(producer: "swiftgan", version: "0.1.0")
/// ```
public struct ONNXGraph {
    public static let opsetVersion: Int64 = 17
    static let irVersion: Int64 = 8

    public enum ElementType: Int64 { case float = 1, int64 = 7 }

    /// An attribute value of a node.
    public enum Attribute {
        case int(Int64), float(Float), ints([Int64]), floats([Float]), string(String)
    }

    public let name: String
    private var nodes: [ProtobufMessage] = []
    private var initializers: [ProtobufMessage] = []
    private var inputs: [ProtobufMessage] = []
    private var outputs: [ProtobufMessage] = []
    private var usedNames: Set<String> = []

    public init(name: String) { self.name = name }

    /// A graph input; nil dimensions are the batch size, named `batch`.
    public mutating func input(_ name: String, type: ElementType = .float, shape: [Int?]) {
        usedNames.insert(name)
        inputs.append(Self.valueInfo(name, type: type, shape: shape))
    }

    public mutating func output(_ name: String, type: ElementType = .float, shape: [Int?]) {
        outputs.append(Self.valueInfo(name, type: type, shape: shape))
    }

    /// A value name not used yet, from `base` (`base`, `base_1`, …).
    public mutating func unique(_ base: String) -> String {
        var name = base, n = 0
        while usedNames.contains(name) {
            n += 1
            name = "\(base)_\(n)"
        }
        usedNames.insert(name)
        return name
    }

    /// A float weight tensor (row-major `values` of `shape`); returns its value name.
    @discardableResult
    public mutating func constant(_ base: String, _ values: [Float], shape: [Int]) -> String {
        precondition(
            values.count == shape.reduce(1, *), "ONNX constant \(base): \(values.count) values for shape \(shape)")
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
        return initializer(base, .float, shape: shape, raw: raw)
    }

    /// An int64 tensor (shapes, permutations, depths); returns its value name.
    @discardableResult
    public mutating func constant(_ base: String, int64 values: [Int64], shape: [Int]) -> String {
        var raw = [UInt8]()
        for v in values { withUnsafeBytes(of: v.littleEndian) { raw += $0 } }
        return initializer(base, .int64, shape: shape, raw: raw)
    }

    /// A `TensorProto` initializer holding little-endian `raw` data.
    private mutating func initializer(_ base: String, _ type: ElementType, shape: [Int], raw: [UInt8]) -> String {
        let name = unique(base)
        var tensor = ProtobufMessage()
        for d in shape { tensor.integer(1, Int64(d)) }
        tensor.integer(2, type.rawValue)
        tensor.string(8, name)
        tensor.data(9, raw)
        initializers.append(tensor)
        return name
    }

    /// Appends a node computing `op` of `inputs`; returns its output's value name (`output` if
    /// given, else a fresh one after the op).
    @discardableResult
    public mutating func node(
        _ op: String, _ inputs: [String], _ output: String? = nil, _ attributes: [(String, Attribute)] = []
    ) -> String {
        let out = output ?? unique(op.lowercased())
        usedNames.insert(out)
        var node = ProtobufMessage()
        for i in inputs { node.string(1, i) }
        node.string(2, out)
        node.string(3, "\(op)_\(nodes.count)")
        node.string(4, op)
        for (name, value) in attributes { node.message(5, Self.attribute(name, value)) }
        nodes.append(node)
        return out
    }

    /// The serialized `ModelProto`, with `metadata` as its metadata_props.
    public func model(producer: String, version: String, metadata: [(String, String)] = []) -> [UInt8] {
        var graph = ProtobufMessage()
        for n in nodes { graph.message(1, n) }
        graph.string(2, name)
        for t in initializers { graph.message(5, t) }
        for i in inputs { graph.message(11, i) }
        for o in outputs { graph.message(12, o) }

        var opset = ProtobufMessage()
        opset.string(1, "")
        opset.integer(2, Self.opsetVersion)
        var model = ProtobufMessage()
        model.integer(1, Self.irVersion)
        model.string(2, producer)
        model.string(3, version)
        model.message(7, graph)
        model.message(8, opset)
        for (key, value) in metadata {
            var entry = ProtobufMessage()
            entry.string(1, key)
            entry.string(2, value)
            model.message(14, entry)
        }
        return model.bytes
    }

    private static func valueInfo(_ name: String, type: ElementType, shape: [Int?]) -> ProtobufMessage {
        var dims = ProtobufMessage()
        for d in shape {
            var dim = ProtobufMessage()
            if let d { dim.integer(1, Int64(d)) } else { dim.string(2, "batch") }
            dims.message(1, dim)
        }
        var tensorType = ProtobufMessage()
        tensorType.integer(1, type.rawValue)
        tensorType.message(2, dims)
        var typeProto = ProtobufMessage()
        typeProto.message(1, tensorType)
        var info = ProtobufMessage()
        info.string(1, name)
        info.message(2, typeProto)
        return info
    }

    /// An `AttributeProto`; its `type` field (20) says which value field is set.
    private static func attribute(_ name: String, _ value: Attribute) -> ProtobufMessage {
        var a = ProtobufMessage()
        a.string(1, name)
        switch value {
        case .float(let f):
            a.float(2, f)
            a.integer(20, 1)
        case .int(let i):
            a.integer(3, i)
            a.integer(20, 2)
        case .floats(let fs):
            for f in fs { a.float(7, f) }
            a.integer(20, 6)
        case .ints(let ints):
            for i in ints { a.integer(8, i) }
            a.integer(20, 7)
        case .string(let text):
            a.string(4, text)
            a.integer(20, 3)
        }
        return a
    }
}
