import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

#if os(Linux)
/// Bad shapes stop the program; these tests prove it stops with a message that names the shapes.
/// Each probe runs in a child copy of this test binary (Linux runs the .xctest file directly).
final class StopMessageTests: XCTestCase {
    func stop(_ probe: String) throws -> (status: Int32, message: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["NNTests.StopProbes/\(probe)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFTGAN_STOP_PROBE": "1"]) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func assertStops(_ probe: String, saying parts: [String], file: StaticString = #filePath, line: UInt = #line) throws
    {
        let (status, message) = try stop(probe)
        XCTAssertNotEqual(status, 0, "the probe should have stopped the program", file: file, line: line)
        for part in parts {
            XCTAssertTrue(
                message.contains(part), "missing \"\(part)\" in: \(message.suffix(600))", file: file, line: line)
        }
    }

    func testShapeMismatchesNameBothShapes() throws {
        try assertStops("testBroadcast", saying: ["[64, 2]", "[32]", "cannot be broadcast"])
        try assertStops("testMatmul", saying: ["[64, 100]", "[784, 10]"])
        try assertStops("testDenseInput", saying: ["Dense(784 → 512)", "[64, 100]"])
    }

    func testInPlaceChangeBeforeBackwardIsRefused() throws {
        try assertStops("testStaleGraph", saying: ["modified in place", "matmul"])
        try assertStops("testRepeatedAxis", saying: ["axis repeated"])
    }

    func testAnOptimizerWithNothingToTrainIsRefused() throws {
        try assertStops("testEmptyOptimizer", saying: ["optimizer was given no parameters"])
    }

    func testAModuleHoldingItsParentAsAChildIsRefused() throws {
        try assertStops("testCycle", saying: ["is one of its own ancestors", "ModuleReference"])
    }

    func testLossesRefuseMismatchedAndEmptyBatches() throws {
        try assertStops("testLossShapes", saying: ["binaryCrossEntropy", "[64, 1]", "[64]"])
        try assertStops("testEmptyBatch", saying: ["empty batch"])
    }
}

/// The programs the tests above run; they do nothing unless started as a probe.
final class StopProbes: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipIf(
            ProcessInfo.processInfo.environment["SWIFTGAN_STOP_PROBE"] == nil,
            "runs only as a child process of StopMessageTests")
    }

    func testBroadcast() { _ = Tensor.zeros([64, 2]) + Tensor.zeros([32]) }
    func testMatmul() { _ = Tensor.zeros([64, 100]).matmul(Tensor.zeros([784, 10])) }
    func testDenseInput() { _ = Dense(784, 512, rng: RandomGenerator(seed: 0))(Tensor.zeros([64, 100])) }
    func testLossShapes() { _ = binaryCrossEntropy(logits: Tensor.zeros([64, 1]), targets: Tensor.zeros([64])) }
    func testStaleGraph() {
        let w = Tensor([2], shape: [1, 1]).requiringGradient()
        let loss = Tensor([3], shape: [1, 1]).matmul(w).sum()
        SGD(parameters: [w], learningRate: 0.1).step([Tensor([1], shape: [1, 1])])
        _ = gradients(of: loss, withRespectTo: [w])
    }
    func testRepeatedAxis() { _ = Tensor.ones([2, 3]).mean(alongAxes: [1, -1]) }
    func testEmptyOptimizer() { _ = Adam(parameters: Sequential([Tanh()]).parameters) }
    func testCycle() {
        final class Child: UnaryLayer {
            var parent: (any Module)?
            func callAsFunction(_ x: Tensor) -> Tensor { x }
        }
        final class Parent: UnaryLayer {
            let child = Child()
            func callAsFunction(_ x: Tensor) -> Tensor { child(x) }
        }
        let parent = Parent()
        parent.child.parent = parent
        _ = parent.parameters
    }
    func testEmptyBatch() { _ = binaryCrossEntropy(logits: Tensor.zeros([0, 1]), targets: Tensor.zeros([0, 1])) }
}
#endif
