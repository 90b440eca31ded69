import SwiftGANTensors
import XCTest

/// The backends this machine has: always the portable one, and oneDNN where it loads.
let availableConvolutionBackends = ConvolutionBackend.allCases.filter {
    $0 == .portable || ConvolutionBackend.isOneDNNAvailable
}

/// Convolutions against direct loops written plainly here, and against finite differences, on
/// every convolution backend this machine has.
final class ConvolutionTests: XCTestCase {
    /// y[n, oh, ow, o] = Σ x[n, oh·s − pt + i, ow·s − pl + j, c] · k[i, j, c, o] over taps inside the image.
    func naiveConv(_ x: Tensor, _ k: Tensor, stride s: Int, padding: Padding) -> Tensor {
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, cout) = (k.shape[0], k.shape[1], k.shape[3])
        let (oh, pt) = sizeAndPad(h, kh, s, padding), (ow, pl) = sizeAndPad(w, kw, s, padding)
        var y = [Float](repeating: 0, count: n * oh * ow * cout)
        for b in 0..<n {
            for r in 0..<oh {
                for q in 0..<ow {
                    for o in 0..<cout {
                        var sum: Double = 0
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let ih = r * s - pt + i, iw = q * s - pl + j
                                guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                                for c in 0..<cin { sum += Double(x[b, ih, iw, c]) * Double(k[i, j, c, o]) }
                            }
                        }
                        y[((b * oh + r) * ow + q) * cout + o] = Float(sum)
                    }
                }
            }
        }
        return Tensor(y, shape: [n, oh, ow, cout])
    }

    /// TensorFlow's output size and leading padding, computed independently of ConvGeometry.
    func sizeAndPad(_ input: Int, _ k: Int, _ s: Int, _ padding: Padding) -> (Int, Int) {
        if padding == .valid { return ((input - k) / s + 1, 0) }
        let out = Int((Double(input) / Double(s)).rounded(.up))
        return (out, max((out - 1) * s + k - input, 0) / 2)
    }

    /// The transposed convolution as a scatter: every input pixel adds kernel·value into the
    /// output window it maps to (the definition, not the adjoint trick the library uses).
    func naiveTransposed(_ x: Tensor, _ k: Tensor, stride s: Int, padding: Padding) -> Tensor {
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, cout) = (k.shape[0], k.shape[1], k.shape[2])
        // Keras's deconv_output_length: input·stride (+ kernel − stride when positive, for 'valid').
        let oh = padding == .same ? h * s : h * s + max(kh - s, 0),
            ow = padding == .same ? w * s : w * s + max(kw - s, 0)
        let pt = padding == .same ? max(kh - s, 0) / 2 : 0, pl = padding == .same ? max(kw - s, 0) / 2 : 0
        var y = [Double](repeating: 0, count: n * oh * ow * cout)
        for b in 0..<n {
            for r in 0..<h {
                for q in 0..<w {
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let yr = r * s - pt + i, yq = q * s - pl + j
                            guard yr >= 0, yr < oh, yq >= 0, yq < ow else { continue }
                            for o in 0..<cout {
                                for c in 0..<cin {
                                    y[((b * oh + yr) * ow + yq) * cout + o] +=
                                        Double(x[b, r, q, c]) * Double(k[i, j, o, c])
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(y.map(Float.init), shape: [n, oh, ow, cout])
    }

    /// (input h, w, in channels, out channels, kernel, stride, padding): odd sizes, strides 1–3,
    /// kernels larger than the stride and not, one-channel inputs and outputs (windows of ≤ 32
    /// values, which take the direct kernels instead of im2col + GEMM).
    let cases: [(Int, Int, Int, Int, Int, Int, Padding)] = [
        (5, 5, 1, 2, 3, 1, .valid), (5, 5, 2, 3, 3, 1, .same), (7, 6, 3, 2, 5, 2, .same), (7, 7, 2, 1, 3, 2, .valid),
        (6, 5, 1, 4, 5, 2, .same), (8, 8, 3, 2, 4, 2, .same), (9, 7, 2, 2, 3, 3, .same), (4, 4, 2, 3, 1, 1, .valid),
        (5, 4, 3, 2, 1, 2, .valid),
        // Stride 1, odd kernel, 'same', windows over 32 values: the flipped-kernel path with its own backward rule.
        (6, 5, 4, 5, 3, 1, .same), (7, 6, 2, 3, 5, 1, .same),
    ]

    /// `op` against `reference` on every case; `transposed` picks the kernel layout [k, k, out, in].
    func assertMatchesLoops(
        transposed: Bool, _ op: (Tensor, Tensor, Int, Padding) -> Tensor,
        _ reference: (Tensor, Tensor, Int, Padding) -> Tensor, line: UInt = #line
    ) {
        for (i, (h, w, cin, cout, k, s, padding)) in cases.enumerated() {
            let x = awayFromZero([2, h, w, cin], seed: UInt64(i))
            let kernel = awayFromZero(transposed ? [k, k, cout, cin] : [k, k, cin, cout], seed: UInt64(i + 50))
            let y = op(x, kernel, s, padding), expected = reference(x, kernel, s, padding)
            XCTAssertEqual(y.shape, expected.shape, "case \(i)", line: line)
            assertClose(y.scalars, expected.scalars, tolerance: 1e-4, line: line)
        }
    }

    func testConvolutionMatchesDirectLoops() {
        for backend in availableConvolutionBackends {
            ConvolutionBackend.with(backend) {
                assertMatchesLoops(
                    transposed: false, { $0.conv2d($1, stride: $2, padding: $3) },
                    { self.naiveConv($0, $1, stride: $2, padding: $3) })
            }
        }
    }

    func testTransposedConvolutionMatchesDirectLoops() {
        for backend in availableConvolutionBackends {
            ConvolutionBackend.with(backend) {
                assertMatchesLoops(
                    transposed: true, { $0.convTranspose2d($1, stride: $2, padding: $3) },
                    { self.naiveTransposed($0, $1, stride: $2, padding: $3) })
            }
        }
    }

    func testKerasOutputSizes() {
        // 'same' with stride 2 halves (rounding up); the transposed 'same' doubles: the DCGAN 7 → 14 → 28.
        XCTAssertEqual(
            Tensor.zeros([1, 28, 28, 1]).conv2d(Tensor.zeros([5, 5, 1, 4]), stride: 2, padding: .same).shape,
            [1, 14, 14, 4])
        XCTAssertEqual(
            Tensor.zeros([1, 7, 7, 1]).conv2d(Tensor.zeros([5, 5, 1, 4]), stride: 2, padding: .same).shape,
            [1, 4, 4, 4])
        XCTAssertEqual(
            Tensor.zeros([1, 7, 7, 8]).convTranspose2d(Tensor.zeros([5, 5, 4, 8]), stride: 2, padding: .same).shape,
            [1, 14, 14, 4])
        XCTAssertEqual(
            Tensor.zeros([1, 7, 7, 8]).convTranspose2d(Tensor.zeros([5, 5, 4, 8]), stride: 2, padding: .valid).shape,
            [1, 17, 17, 4])
        XCTAssertEqual(
            Tensor.zeros([1, 9, 9, 1]).conv2d(Tensor.zeros([3, 3, 1, 1]), stride: 2, padding: .valid).shape,
            [1, 4, 4, 1])
    }

    func testGradientsFirstAndSecondOrder() {
        for backend in availableConvolutionBackends {
            ConvolutionBackend.with(backend) { checkGradients() }
        }
    }

    func checkGradients() {
        for (i, (h, w, cin, cout, k, s, padding)) in cases.prefix(5).enumerated() {
            let x = awayFromZero([1, h, w, cin], seed: UInt64(i)) * 0.5
            let kernel = awayFromZero([k, k, cin, cout], seed: UInt64(i + 9)) * 0.5,
                bias = awayFromZero([cout], seed: 3)
            assertGradients([x, kernel, bias]) { $0[0].conv2d($0[1], bias: $0[2], stride: s, padding: padding) }
            let tk = awayFromZero([k, k, cout, cin], seed: UInt64(i + 19)) * 0.5
            assertGradients([x, tk, bias]) { $0[0].convTranspose2d($0[1], bias: $0[2], stride: s, padding: padding) }
        }
        for (i, (h, w, cin, cout, k, s, padding)) in cases.suffix(2).enumerated() {
            let x = awayFromZero([1, h, w, cin], seed: UInt64(i + 30)) * 0.5
            let kernel = awayFromZero([k, k, cin, cout], seed: UInt64(i + 39)) * 0.5,
                bias = awayFromZero([cout], seed: 3)
            assertGradients([x, kernel, bias]) {
                ($0[0].conv2d($0[1], bias: $0[2], stride: s, padding: padding)).tanh()
            }
            let tk = awayFromZero([k, k, cout, cin], seed: UInt64(i + 49)) * 0.5
            assertGradients([x, tk, bias]) {
                ($0[0].convTranspose2d($0[1], bias: $0[2], stride: s, padding: padding)).tanh()
            }
        }
        // Through a nonlinearity, so second derivatives are not all zero.
        let x = awayFromZero([1, 5, 5, 2], seed: 4) * 0.5, kernel = awayFromZero([3, 3, 2, 2], seed: 5) * 0.5
        assertGradients([x, kernel]) { $0[0].conv2d($0[1], stride: 2, padding: .same).tanh() }
    }

    func testIm2colAndCol2imAreAdjoint() {
        // ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ for random x, y.
        let g = ConvGeometry(inputHeight: 6, inputWidth: 5, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: .same)
        let x = awayFromZero([2, 6, 5, 3], seed: 1)
        let y = awayFromZero([2 * g.outputHeight * g.outputWidth, 27], seed: 2)
        let left = (x.im2col(g) * y).sum().scalar, right = (x * y.col2im(g, batch: 2, channels: 3)).sum().scalar
        XCTAssertEqual(left, right, accuracy: 1e-3)
    }
}
