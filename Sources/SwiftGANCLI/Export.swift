import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANTraining

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a saved generator or discriminator as an ONNX model.",
        discussion: """
            The model runs in ONNX Runtime and the other ONNX tools (opset \(ONNXGraph.opsetVersion)), in inference mode \
            (BatchNorm's running statistics, no dropout, spectral norm folded into the weights). A generator takes \
            'noise' float32 [N, noise size] and returns 'images' float32 [N, H, W, C] in the model's data range, \
            NHWC as SwiftGAN's own tensors (or 'curves' [N, points]); 'swiftgan sample --noise FILE.npy --npy \
            OUT.npy --float32' gives the same numbers. A discriminator takes 'images' and returns 'logits' [N, 1] \
            (acgan: [N, 11]). Labelled generators (acgan, cgan, conditional sngan) export with a second input, \
            'label' int64 [N], one class per example, as do the discriminators of cgan and conditional sngan.
            """
    )

    @Option(help: "A generator.safetensors or discriminator.safetensors written by 'swiftgan train'.") var checkpoint:
        String?
    @Option(help: PretrainedOption.help) var pretrained: String?
    @Option(help: "The .onnx file to write.") var onnx: String

    func validate() throws {
        let input = try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
        if let problem = OutputFile.problem(with: onnx, option: "--onnx", extension: "onnx", inputs: [input]) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        try OneProcess.require("export")
        StopCleanly.install()
        let file = try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
        let (model, role, step, classNames) = try Checkpoint.loadNetwork(from: URL(fileURLWithPath: file))
        let bytes = try ONNXExport.model(
            model, role: role, step: step, classNames: classNames, producerVersion: SwiftGAN.versionNumber)
        try AtomicFile.write(Data(bytes), to: URL(fileURLWithPath: onnx))
        print(
            "wrote \(onnx) (the \(role) of \(model.name) at step \(step), ONNX opset \(ONNXGraph.opsetVersion), \(bytes.count / 1024) KiB)"
        )
    }
}
