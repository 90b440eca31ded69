import Foundation
import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// `swiftgan export --onnx`, checked by ONNX's own checker and run in ONNX Runtime: every zoo
/// generator gives what `swiftgan sample --noise … --float32` gives for the same noise (and
/// labels), and every discriminator what SwiftGAN's gives for the same images (and labels).
final class ONNXExportTests: XCTestCase {
    /// The zoo models and variants exported: each layer kind, conditioning and D form appears.
    static let models: [(label: String, name: String, options: ModelOptions)] = [
        ("mlp-gan", "mlp-gan", ModelOptions()),
        ("curve-gan", "curve-gan", ModelOptions()),
        ("dcgan", "dcgan", ModelOptions()),
        ("dcgan-sn", "dcgan", ModelOptions(spectralNorm: true)),
        ("dcgan64", "dcgan64", ModelOptions()),
        ("dcgan64-32-critic", "dcgan64", ModelOptions(width: 8, imageSize: 32, discriminatorNormalization: "none")),
        ("acgan", "acgan", ModelOptions()),
        ("cgan-mlp", "cgan", ModelOptions()),
        ("cgan-dcgan", "cgan", ModelOptions(body: "dcgan")),
        ("resnet-gan-sn", "resnet-gan", ModelOptions(width: 4, spectralNorm: true)),
        // Networks that take the labels themselves: cBN in G, a projection head in D (its embedding under SN).
        ("sngan", "sngan", ModelOptions(width: 8, classes: 10, spectralNorm: true)),
        ("sngan-unconditional", "sngan", ModelOptions(width: 4)),
    ]

    func testExportedNetworksMatchInONNXRuntime() throws {
        let python = try projectPython(with: "onnxruntime, onnx")
        let folder = URL(fileURLWithPath: runFolder())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var manifest: [[String: Any]] = []
        for (label, name, options) in Self.models {
            let dir = folder.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            func path(_ file: String) -> String { dir.appendingPathComponent(file).path }
            let model = try ModelZoo.make(name, options: options, rng: RandomGenerator(seed: 1))
            let rng = RandomGenerator(seed: 2)
            let count = model.classCount > 0 ? model.classCount : 6
            let labels = model.classCount > 0 ? Array(0..<model.classCount) : nil
            moveStatistics(of: model, labels: labels, rng: rng)
            drawClassTablesApart(in: model, rng: rng)
            try Checkpoint.save(
                model.generator, of: model, role: "generator", step: 7, to: URL(fileURLWithPath: path("G.safetensors")))
            try Checkpoint.save(
                model.discriminator, of: model, role: "discriminator", step: 7,
                to: URL(fileURLWithPath: path("D.safetensors")))
            for network in ["G", "D"] {
                let export = try swiftgan([
                    "export", "--checkpoint", path("\(network).safetensors"), "--onnx", path("\(network).onnx"),
                ])
                XCTAssertTrue(export.output.contains("opset 17"), export.output)
            }

            // G: the CLI's samples from the noise file, as a user compares them.
            let noise = model.noise(count, using: rng)
            try NPY.write(float32: noise.scalars, shape: noise.shape, to: URL(fileURLWithPath: path("noise.npy")))
            try swiftgan(
                [
                    "sample", "--checkpoint", path("G.safetensors"), "--noise", path("noise.npy"), "--npy",
                    path("samples.npy"), "--float32",
                ]
                    + (labels != nil ? ["--label", "all", "--count", "1"] : []))
            // D: SwiftGAN's logits for those samples, in inference mode.
            let samples = model.generate(noise, labels: labels)
            model.discriminator.eval()
            let logits = withoutGrad { model.discriminatorOutput(samples, labels: labels) }
            try NPY.write(float32: logits.scalars, shape: logits.shape, to: URL(fileURLWithPath: path("logits.npy")))
            if let labels {
                try NPY.write(
                    int64: labels.map(Int64.init), shape: [labels.count], to: URL(fileURLWithPath: path("labels.npy")))
            }
            manifest.append([
                "label": label, "dir": dir.path, "conditional": labels != nil,
                "curves": model.sample == .curves(points: 16),
            ])
        }
        let manifestURL = folder.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)

        let script = """
            import json, sys, numpy as np, onnx, onnxruntime as ort
            results = {}
            for case in json.load(open(sys.argv[1])):
                d = case['dir']
                def run(network, feeds):
                    # feeds: the input arrays, given the session's input names.
                    model = onnx.load(f'{d}/{network}.onnx')
                    onnx.checker.check_model(model, full_check=True)
                    session = ort.InferenceSession(f'{d}/{network}.onnx', providers=['CPUExecutionProvider'])
                    names = [i.name for i in session.get_inputs()]
                    return model.opset_import[0].version, names, session.run(None, feeds(names))[0]
                extra = {'label': np.load(f'{d}/labels.npy')} if case['conditional'] else {}
                samples = np.load(f'{d}/samples.npy')
                opset, g_inputs, g_out = run('G', lambda names: {'noise': np.load(f'{d}/noise.npy'), **extra})
                d_data = {('curves' if case['curves'] else 'images'): samples}
                _, d_inputs, d_out = run('D', lambda names: {**d_data, **({'label': extra['label']} if 'label' in names else {})})
                logits = np.load(f'{d}/logits.npy')
                results[case['label']] = {
                    'opset': opset, 'g_inputs': g_inputs, 'd_inputs': d_inputs,
                    'g_shape': list(g_out.shape), 'swift_shape': list(samples.shape), 'd_shape': list(d_out.shape),
                    'g_diff': float(np.abs(g_out - samples).max()), 'd_diff': float(np.abs(d_out - logits).max()),
                    'g_spread': float(samples.std()), 'd_scale': float(np.abs(logits).max()),
                }
            print(json.dumps(results))
            """
        let output = try runPython(python, script, [manifestURL.path])
        let json = try XCTUnwrap(output.split(separator: "\n").last.map(String.init), output)
        let results = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]], output)
        for (label, name, _) in Self.models {
            let r = try XCTUnwrap(results[label], "\(label): \(output)")
            XCTAssertEqual(r["opset"] as? Int, 17, label)
            XCTAssertEqual(r["g_shape"] as? [Int], r["swift_shape"] as? [Int], label)
            XCTAssertLessThanOrEqual(
                try XCTUnwrap(r["g_diff"] as? Double), 1e-4, "\(label): G's largest difference from swiftgan sample")
            XCTAssertLessThanOrEqual(
                try XCTUnwrap(r["d_diff"] as? Double), 1e-4, "\(label): D's largest difference from SwiftGAN's logits")
            // Freshly initialized generators (weights N(0, 0.02)) draw nearly constant images, so
            // the differences are also held to a thousandth of the outputs' own spread.
            let spread = try XCTUnwrap(r["g_spread"] as? Double), scale = try XCTUnwrap(r["d_scale"] as? Double)
            XCTAssertGreaterThan(spread, 0, label)
            XCTAssertLessThanOrEqual(try XCTUnwrap(r["g_diff"] as? Double), 1e-3 * spread, label)
            XCTAssertLessThanOrEqual(try XCTUnwrap(r["d_diff"] as? Double), 1e-3 * scale, label)
            let conditional = ["acgan", "cgan"].contains(name) || label == "sngan"
            XCTAssertEqual(r["g_inputs"] as? [String], conditional ? ["noise", "label"] : ["noise"], label)
            XCTAssertEqual(
                r["d_inputs"] as? [String],
                (name == "curve-gan" ? ["curves"] : ["images"]) + (name == "cgan" || label == "sngan" ? ["label"] : []),
                label)
            XCTAssertEqual(r["d_shape"] as? [Int], [conditional ? 10 : 6, name == "acgan" ? 11 : 1], label)
        }
    }

    /// Trains BatchNorm's running statistics and spectral norm's vectors away from their
    /// initial values (mean 0, variance 1, random u), so the export's use of them is tested.
    func moveStatistics(of model: GANModel, labels: [Int]?, rng: RandomGenerator) {
        let batch = labels?.count ?? 6
        withoutGrad {
            for _ in 0..<3 {
                model.generator.train()
                let fake = model.generatorOutput(noise: model.noise(batch, using: rng), labels: labels)
                model.discriminator.train()
                _ = model.discriminatorOutput(fake, labels: labels)
            }
        }
    }

    /// Conditional BatchNorm's class tables start as ones (γ) and zeros (β), alike for every
    /// class, so an export that read the wrong class's row would pass: they are drawn apart.
    func drawClassTablesApart(in model: GANModel, rng: RandomGenerator) {
        for case let norm as ConditionalBatchNorm in model.generator.namedModules.map(\.module) {
            let shape = norm.scale.table.shape
            norm.scale.table.assign(Tensor.normal(shape, mean: 1, std: 0.5, using: rng))
            norm.offset.table.assign(Tensor.normal(shape, std: 0.5, using: rng))
        }
    }

    /// A network that takes labels declares the int64 `label` input after its data input, and its
    /// class tables become Gathers by it; an unconditional network's graph has neither (only its
    /// float data input, no Gather, no OneHot); a one-input conditional network keeps its one-hot
    /// input. Read back from the exported bytes, so it runs without ONNX Runtime.
    func testLabelInputIsDeclaredForConditionalNetworksOnly() throws {
        func graph(_ name: String, _ options: ModelOptions, _ role: String) throws -> ONNXSummary {
            let model = try ModelZoo.make(name, options: options, rng: RandomGenerator(seed: 1))
            return try ONNXSummary(ONNXExport.model(model, role: role, step: 0, producerVersion: "test"))
        }
        let g = try graph("sngan", ModelOptions(width: 2, classes: 3), "generator")
        XCTAssertEqual(g.inputs.map(\.name), ["noise", "label"])
        XCTAssertEqual(
            g.inputs.map(\.type), [ONNXGraph.ElementType.float.rawValue, ONNXGraph.ElementType.int64.rawValue])
        // 28×28: two blocks of two cBNs, a Gather each for γ and β.
        XCTAssertEqual(g.ops.filter { $0 == "Gather" }.count, 8, "\(g.ops)")
        XCTAssertFalse(g.ops.contains("OneHot"), "\(g.ops)")
        let d = try graph("sngan", ModelOptions(width: 2, classes: 3, spectralNorm: true), "discriminator")
        XCTAssertEqual(d.inputs.map(\.name), ["images", "label"])
        XCTAssertEqual(
            d.inputs.map(\.type), [ONNXGraph.ElementType.float.rawValue, ONNXGraph.ElementType.int64.rawValue])
        XCTAssertEqual(d.ops.filter { $0 == "Gather" }.count, 1, "\(d.ops)")

        let unconditional: [(String, ModelOptions)] = [
            ("sngan", ModelOptions(width: 2)), ("sngan", ModelOptions(width: 2, classes: 3, unconditional: true)),
            ("dcgan", ModelOptions()), ("resnet-gan", ModelOptions(width: 2)),
        ]
        for (name, options) in unconditional {
            for role in ["generator", "discriminator"] {
                let summary = try graph(name, options, role)
                XCTAssertEqual(
                    summary.inputs.map(\.name), [role == "generator" ? "noise" : "images"], "\(name) \(role)")
                XCTAssertEqual(summary.inputs.map(\.type), [ONNXGraph.ElementType.float.rawValue], "\(name) \(role)")
                XCTAssertFalse(summary.ops.contains("Gather") || summary.ops.contains("OneHot"), "\(name) \(role)")
            }
        }
        for name in ["acgan", "cgan"] {
            let oneHot = try graph(name, ModelOptions(), "generator")
            XCTAssertEqual(oneHot.inputs.map(\.name), ["noise", "label"], name)
            XCTAssertTrue(oneHot.ops.contains("OneHot") && !oneHot.ops.contains("Gather"), "\(name): \(oneHot.ops)")
        }
    }

    /// A labelled layer's export without labels (an unconditional use of a conditional layer) is
    /// an error that says so, as SwiftGAN's own forward pass stops.
    func testConditionalBatchNormWithoutLabelsIsRefused() throws {
        var builder = ONNXBuilder(graph: ONNXGraph(name: "test"))
        builder.graph.input("x", shape: [nil, 4])
        builder.graph.input("label", type: .int64, shape: [nil])
        let norm = ConditionalBatchNorm(featureCount: 4, classCount: 3)
        XCTAssertThrowsError(try builder.emit(norm, ONNXValue(name: "x", layout: .flat(4)))) {
            XCTAssertTrue("\($0)".contains("ConditionalBatchNorm needs the labels"), "\($0)")
        }
        XCTAssertNoThrow(try builder.emit(norm, ONNXValue(name: "x", layout: .flat(4)), labels: "label"))
    }

    /// A network with a layer ONNX export has no form for is refused with the layer's name.
    func testUnsupportedLayerIsNamed() throws {
        let rng = RandomGenerator(seed: 0)
        let model = GANModel(
            name: "custom",
            generator: Sequential([Dense(4, 16, rng: rng), ELU(), Embedding(count: 3, dimension: 2, rng: rng)]),
            discriminator: Sequential([Dense(16, 1, rng: rng)]), noiseSize: 4, sample: .curves(points: 16),
            dataRange: -1...1, source: CurveGAN.source, options: ModelOptions())
        XCTAssertThrowsError(try ONNXExport.model(model, role: "generator", step: 0, producerVersion: "test")) {
            XCTAssertTrue("\($0)".contains("Embedding"), "\($0)")
        }
        XCTAssertNoThrow(try ONNXExport.model(model, role: "discriminator", step: 0, producerVersion: "test"))
    }
}

/// What a serialized ONNX model declares, read back from protobuf's wire format: its graph's
/// inputs (name and element type, 1 float and 7 int64) and its nodes' operators, in order.
/// ModelProto.graph is field 7; GraphProto.node 1 (NodeProto.op_type 4) and .input 11
/// (ValueInfoProto.name 1, .type 2 → TypeProto.tensor_type 1 → elem_type 1).
struct ONNXSummary {
    var inputs: [(name: String, type: Int64)] = []
    var ops: [String] = []

    init(_ model: [UInt8]) throws {
        let graph = try XCTUnwrap(Self.fields(model[...]).first { $0.number == 7 }, "no graph").bytes
        for field in Self.fields(graph) {
            if field.number == 1 {
                ops += Self.fields(field.bytes).filter { $0.number == 4 }.map {
                    String(decoding: $0.bytes, as: UTF8.self)
                }
            } else if field.number == 11 {
                let info = Self.fields(field.bytes)
                let name = try XCTUnwrap(info.first { $0.number == 1 }, "an input without a name").bytes
                let type = try XCTUnwrap(info.first { $0.number == 2 }, "an input without a type").bytes
                let tensorType = try XCTUnwrap(Self.fields(type).first { $0.number == 1 }, "not a tensor").bytes
                let element = try XCTUnwrap(Self.fields(tensorType).first { $0.number == 1 }, "no element type")
                inputs.append((name: String(decoding: name, as: UTF8.self), type: Int64(bitPattern: element.varint)))
            }
        }
    }

    /// One message's fields in order: the field number, and a varint's value or a
    /// length-delimited field's bytes (fixed-size fields are skipped).
    static func fields(_ bytes: ArraySlice<UInt8>) -> [(number: Int, varint: UInt64, bytes: ArraySlice<UInt8>)] {
        var fields: [(number: Int, varint: UInt64, bytes: ArraySlice<UInt8>)] = []
        var i = bytes.startIndex
        func readVarint() -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        while i < bytes.endIndex {
            let key = readVarint(), number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number: number, varint: readVarint(), bytes: []))
            case 1: i += 8
            case 2:
                let length = Int(readVarint())
                fields.append((number: number, varint: 0, bytes: bytes[i..<(i + length)]))
                i += length
            case 5: i += 4
            default: preconditionFailure("protobuf wire type \(key & 7) at byte \(i)")
            }
        }
        return fields
    }
}
