import Foundation
import XCTest

@testable import SwiftGANArtifacts
@testable import SwiftGANTraining

/// The event files SwiftGAN writes, read back by TensorBoard's own loader.
final class TensorBoardTests: XCTestCase {
    /// `EventAccumulator` reads every scalar as written (the losses of history.csv, step by
    /// step), the sample grids at their size, and the configuration; a resumed run's second file
    /// continues the curves without repeating a step.
    func testEventFilesReadInTensorBoard() throws {
        let python = try projectPython(with: "tensorboard")
        var config = curveConfig(steps: 30, sampleEvery: 10)
        try TrainingRun(config: config).run()
        config.steps = 40
        let resumed = try TrainingRun(config: config)
        try resumed.resume()
        try resumed.run()
        XCTAssertEqual(RunFolder(URL(fileURLWithPath: config.out!)).tensorBoardFiles().count, 2)

        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'images': 0, 'tensors': 0})
            acc.Reload()
            tags = acc.Tags()
            out = {
              'scalars': sorted(tags['scalars']),
              'd_loss': [[e.step, e.value] for e in acc.Scalars('loss/D')],
              'images': [[e.step, e.width, e.height] for e in acc.Images('samples')],
              'config': acc.Tensors('config')[0].tensor_proto.string_val[0].decode(),
            }
            print(json.dumps(out))
            """
        let output = try runPython(python, script, [config.out!])
        let json = try XCTUnwrap(output.split(separator: "\n").last)
        let read = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(
            read["scalars"] as? [String],
            ["accuracy/D", "accuracy/G (share of fakes called real)", "loss/D", "loss/G", "speed/steps per second"])
        let losses = try XCTUnwrap(read["d_loss"] as? [[Double]])
        let history = try History.read(URL(fileURLWithPath: config.out! + "/history.csv"))
        XCTAssertEqual(losses.map { Int($0[0]) }, Array(1...40), "each step once, across the resume")
        XCTAssertEqual(losses.map { Float($0[1]) }, history.map(\.metrics.discriminatorLoss))
        let images = try XCTUnwrap(read["images"] as? [[Int]])
        XCTAssertEqual(images.map { $0[0] }, [0, 10, 20, 30, 40])
        let png = try Data(contentsOf: URL(fileURLWithPath: config.out! + "/samples/step-000040.png"))
        let (width, height) = (
            Int(png[16]) << 24 | Int(png[17]) << 16 | Int(png[18]) << 8 | Int(png[19]),
            Int(png[20]) << 24 | Int(png[21]) << 16 | Int(png[22]) << 8 | Int(png[23])
        )
        XCTAssertEqual(images.last.map { [$0[1], $0[2]] }, [width, height])
        XCTAssertTrue((read["config"] as? String)?.contains("\"model\" : \"curve-gan\"") ?? false, output)
    }

    /// CRC-32C's check value and TFRecord framing, by hand.
    func testRecordFraming() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        let record = TensorBoardLog.record([1, 2, 3])
        XCTAssertEqual(record.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(record[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
    }
}
