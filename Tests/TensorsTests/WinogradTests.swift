import XCTest

@testable import SwiftGANTensors

/// Winograd F(4×4, 5×5) (WinogradConvolution.swift, SwiftGANCKernels/winograd.c): its three passes
/// against the portable direct path, by finite differences to the second order, its vector C
/// kernels against its portable ones, and the same bits on 1, 2 and 3 workers.
final class WinogradTests: XCTestCase {
    /// Odd map sizes (tiles cropped at the right and bottom edges), maps smaller than one tile,
    /// both paddings, one to three channels and many (the channel rule is bypassed: every shape
    /// here goes through Winograd).
    let cases:
        [(name: String, batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int, padding: Padding)] =
            [
                ("7×9 same", 2, 7, 9, 3, 2, .same), ("7×9 valid", 2, 7, 9, 2, 3, .valid),
                ("1×1 same", 2, 1, 1, 1, 2, .same),
                ("3×5 same", 1, 3, 5, 2, 1, .same), ("5×5 valid", 2, 5, 5, 1, 1, .valid),
                ("9×6 valid", 1, 9, 6, 3, 3, .valid),
                ("acgan G 80→80", 2, 14, 14, 80, 80, .same), ("acgan D 70→140", 2, 4, 4, 70, 140, .same),
                ("17→83 odd", 1, 6, 7, 17, 83, .same),
            ]

    func geometry(_ height: Int, _ width: Int, _ padding: Padding) -> ConvGeometry {
        ConvGeometry(
            inputHeight: height, inputWidth: width, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: padding)
    }

    /// The direct path's three passes: y = conv(x, k), and the gradients of ⟨y, u⟩ with respect
    /// to x (backward data of u) and k (backward weights of x and u).
    func directPasses(_ x: Tensor, _ k: Tensor, _ u: Tensor, _ padding: Padding) -> [Tensor] {
        ConvolutionBackend.withWinograd(false) {
            ConvolutionBackend.with(.portable) {
                let (x, k) = (x.copy().requiringGradient(), k.copy().requiringGradient())
                let y = x.conv2d(k, stride: 1, padding: padding)
                return [y] + gradients(of: (y * u).sum(), withRespectTo: [x, k])
            }
        }
    }

    func winogradPasses(_ w: WinogradConvolution, _ x: Tensor, _ k: Tensor, _ u: Tensor) -> [Tensor] {
        withoutGrad { [w.forward(x, k), w.backwardData(u, k), w.backwardWeights(x, u)] }
    }

    /// Random inputs for case `i`: x, kernel, and u (the output's gradient).
    func inputs(
        _ i: Int, _ g: ConvGeometry, batch: Int, _ inChannels: Int, _ outChannels: Int
    ) -> (Tensor, Tensor, Tensor) {
        (
            awayFromZero([batch, g.inputHeight, g.inputWidth, inChannels], seed: UInt64(i)),
            awayFromZero([5, 5, inChannels, outChannels], seed: UInt64(i + 100)),
            awayFromZero([batch, g.outputHeight, g.outputWidth, outChannels], seed: UInt64(i + 200))
        )
    }

    /// Tolerance: Winograd's transforms have entries up to 21/4 and 8 and cancel large terms, which
    /// amplifies fp32 rounding to ≈1e-5 of the output's largest value (measured against a float64
    /// direct convolution in a C harness: 1.4e-6 to 9.5e-6 on these shapes and passes; direct fp32
    /// is ≈2e-7). The bound, 3e-5 of max|reference|, leaves room for that and the reference's own
    /// rounding, while a wrong tap, flip, tile edge or channel errs by the scale itself.
    func assertWithinBound(_ a: Tensor, _ b: Tensor, _ what: String, bound: Float = 3e-5, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, line: line)
        let scale = b.scalars.map(abs).max() ?? 1
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(
            worst, bound * scale, "\(what): worst difference \(worst) of scale \(scale)", line: line)
    }

    func testPassesMatchPortableDirectPath() throws {
        for (i, c) in cases.enumerated() {
            let g = geometry(c.height, c.width, c.padding)
            let w = try XCTUnwrap(
                WinogradConvolution(
                    anyChannels: g, batch: c.batch, inChannels: c.inChannels, outChannels: c.outChannels))
            let (x, k, u) = inputs(i, g, batch: c.batch, c.inChannels, c.outChannels)
            let expected = directPasses(x, k, u, c.padding)
            for (pass, (a, b)) in zip(
                ["forward", "backward data", "backward weights"], zip(winogradPasses(w, x, k, u), expected))
            {
                assertWithinBound(a, b, "\(c.name) \(pass)")
            }
        }
    }

    /// conv2d and convTranspose2d take the Winograd path exactly where the rule says, and only with
    /// the switch on; with a bias the result still matches the direct path.
    func testLayersUseWinogradWhereTheRuleSays() {
        func operation(_ h: Int, _ inChannels: Int, _ outChannels: Int, transposed: Bool) -> String? {
            let x = awayFromZero([1, h, h, inChannels]).requiringGradient()
            let y =
                transposed
                ? x.convTranspose2d(awayFromZero([5, 5, outChannels, inChannels]), stride: 1, padding: .same)
                : x.conv2d(awayFromZero([5, 5, inChannels, outChannels]), stride: 1, padding: .same)
            return y.operationName
        }
        ConvolutionBackend.withWinograd(true) {
            XCTAssertEqual(operation(14, 80, 80, transposed: false), "winogradConv2d")
            XCTAssertEqual(operation(14, 80, 80, transposed: true), "winogradConv2dBackwardData")
            XCTAssertEqual(operation(4, 16, 16, transposed: false), "winogradConv2d")
            XCTAssertEqual(operation(3, 16, 16, transposed: false), "winogradConv2d")
            XCTAssertNotEqual(
                operation(2, 80, 80, transposed: false), "winogradConv2d", "2×2: the tiles waste too much")
            XCTAssertNotEqual(operation(14, 15, 80, transposed: false), "winogradConv2d", "fewer than 16 channels")
            XCTAssertNotEqual(operation(14, 80, 15, transposed: true), "winogradConv2dBackwardData")
            let x = awayFromZero([1, 9, 9, 16]), k = awayFromZero([5, 5, 16, 16]), b = awayFromZero([16])
            XCTAssertNotEqual(
                x.requiringGradient().conv2d(k, stride: 2, padding: .same).operationName, "winogradConv2d")
            let withBias = x.conv2d(k, bias: b, stride: 1, padding: .valid)
            let direct = ConvolutionBackend.withWinograd(false) { x.conv2d(k, bias: b, stride: 1, padding: .valid) }
            assertWithinBound(withBias, direct, "with bias")
        }
        ConvolutionBackend.withWinograd(false) {
            XCTAssertNotEqual(operation(14, 80, 80, transposed: false), "winogradConv2d")
            XCTAssertNotEqual(operation(14, 80, 80, transposed: true), "winogradConv2dBackwardData")
        }
    }

    /// FLOPs are counted as the direct convolution's multiply-adds, so GFLOP/s figures compare
    /// across backends.
    func testCountsTheDirectFormsFLOPs() throws {
        let g = geometry(7, 9, .same)
        let w = try XCTUnwrap(WinogradConvolution(anyChannels: g, batch: 2, inChannels: 3, outChannels: 4))
        let (x, k, u) = inputs(0, g, batch: 2, 3, 4)
        let direct = 2 * (2 * 7 * 9 * 4) * 25 * 3
        XCTAssertEqual(FLOPCounter.counting { _ = w.forward(x, k) }, direct)
        XCTAssertEqual(FLOPCounter.counting { _ = w.backwardData(u, k) }, direct)
        XCTAssertEqual(FLOPCounter.counting { _ = w.backwardWeights(x, u) }, direct)
    }

    /// First and second order by finite differences, through tanh so second derivatives are not all
    /// zero; each pass as an operation of its own, so gradients of gradients use all three passes.
    ///
    /// First order at GradientCheck's defaults. Second order with an absolute tolerance of 1e-2, not
    /// 1e-3: Winograd mixes all 25 taps into every frequency point, so perturbing a tap that never
    /// meets the map (most of them on 2×3) still moves the second-order sum G (|G| ≈ 20) by its
    /// rounding, ≈1e-6 of it, and the finite difference reads that as up to 3e-3 (simulated in C
    /// on these shapes; the direct form reads exactly 0). A wrong pass errs by O(1).
    func testGradientsFirstAndSecondOrder() throws {
        func assertBothOrders(_ inputs: [Tensor], line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) {
            assertGradients(inputs, secondOrder: false, line: line, f)
            let second = GradientCheck(absoluteTolerance: 1e-2).checkSecondOrder(inputs, f)
            XCTAssertTrue(second.isEmpty, "second-order mismatches: \(second.prefix(5))", line: line)
        }
        for (h, w, cin, cout, padding) in [(5, 4, 2, 3, Padding.same), (6, 7, 1, 2, .valid), (2, 3, 3, 1, .same)] {
            let g = geometry(h, w, padding)
            let conv = try XCTUnwrap(WinogradConvolution(anyChannels: g, batch: 1, inChannels: cin, outChannels: cout))
            let (x, k, u) = inputs(h * 10 + w, g, batch: 1, cin, cout)
            let (xs, ks, us) = (x * 0.5, k * 0.2, u * 0.5)
            assertBothOrders([xs, ks]) { conv.forward($0[0], $0[1]).tanh() }
            assertBothOrders([us, ks]) { conv.backwardData($0[0], $0[1]).tanh() }
            assertBothOrders([xs, us]) { conv.backwardWeights($0[0], $0[1]).tanh() }
        }
        // Many channels, first order only (the second order's finite differences are of a Float32
        // sum over every kernel element, whose rounding grows with it).
        let g = geometry(3, 2, .same)
        let conv = try XCTUnwrap(WinogradConvolution(anyChannels: g, batch: 1, inChannels: 17, outChannels: 16))
        let (x, k, _) = inputs(7, g, batch: 1, 17, 16)
        assertGradients([x * 0.3, k * 0.05], secondOrder: false) { conv.forward($0[0], $0[1]).tanh() }
    }

    /// The AVX-512 or AVX2 kernels against the portable C ones (fused multiply-adds against separate
    /// ones: rounding differs, by as much as either differs from the exact result).
    func testVectorKernelsMatchPortableKernels() throws {
        try XCTSkipIf(
            ConvolutionBackend.winogradVariant == "portable", "this CPU runs the portable Winograd kernels already")
        for (i, c) in cases.enumerated() {
            let g = geometry(c.height, c.width, c.padding)
            let w = try XCTUnwrap(
                WinogradConvolution(
                    anyChannels: g, batch: c.batch, inChannels: c.inChannels, outChannels: c.outChannels))
            let (x, k, u) = inputs(i, g, batch: c.batch, c.inChannels, c.outChannels)
            let vector = winogradPasses(w, x, k, u)
            let portable = WinogradConvolution.withPortableKernels { winogradPasses(w, x, k, u) }
            for (pass, (a, b)) in zip(["forward", "backward data", "backward weights"], zip(vector, portable)) {
                assertWithinBound(a, b, "\(c.name) \(pass), \(ConvolutionBackend.winogradVariant) against portable")
            }
        }
    }

    /// The same bits on 1, 2 and 3 workers: images split between threads, the kernel gradient's
    /// groups and their final sum too (24 images of 14×14 make 6 groups).
    func testResultsDoNotDependOnWorkerCount() throws {
        let g = geometry(14, 14, .same)
        let w = try XCTUnwrap(WinogradConvolution(anyChannels: g, batch: 24, inChannels: 80, outChannels: 80))
        let (x, k, u) = inputs(1, g, batch: 24, 80, 80)
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        var results: [[[UInt32]]] = []
        for workers in [1, 2, 3] {
            Parallel.workers = workers
            results.append(winogradPasses(w, x, k, u).map { $0.scalars.map(\.bitPattern) })
        }
        XCTAssertEqual(results[0], results[1], "1 against 2 workers")
        XCTAssertEqual(results[0], results[2], "1 against 3 workers")
    }
}
