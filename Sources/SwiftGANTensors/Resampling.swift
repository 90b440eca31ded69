/// Changing the resolution of NHWC images by an integer factor: nearest-neighbour upsampling and
/// average pooling, each the other's adjoint (up to the factor²), so each one's backward is the
/// other and gradients of gradients come for free.
extension Tensor {
    /// Nearest-neighbour upsampling of [n, h, w, c] images to [n, h·f, w·f, c]: each pixel
    /// becomes an f×f block (PyTorch's `Upsample(scale_factor: f, mode: "nearest")`, Keras's
    /// `UpSampling2D`).
    public func upsampledNearest(factor f: Int) -> Tensor {
        let (n, h, w, c) = imageDimensions("upsampledNearest")
        require(f >= 1, "SwiftGAN: upsampledNearest needs a factor ≥ 1, got \(f)")
        let out = Tensor(uninitialized: [n, h * f, w * f, c])
        let src = data, dst = out.data
        let rows = n * h * f
        Parallel.forEachChunk(rows, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(w * f * c, 1)))
        { range in
            for row in range {
                let (b, y) = (row / (h * f), row % (h * f))
                let input = src + ((b * h + y / f) * w) * c, output = dst + row * w * f * c
                for x in 0..<(w * f) { (output + x * c).update(from: input + (x / f) * c, count: c) }
            }
        }
        return Tensor.record("upsampledNearest", out, [self]) { g, _ in [g.averagePooled(factor: f) * Float(f * f)] }
    }

    /// Average pooling of [n, h, w, c] images over f×f windows with stride f, to [n, h/f, w/f, c]
    /// (`AvgPool2d(f)`, Keras's `AveragePooling2D(f)`); h and w must be multiples of f.
    public func averagePooled(factor f: Int) -> Tensor {
        let (n, h, w, c) = imageDimensions("averagePooled")
        require(
            f >= 1 && h % f == 0 && w % f == 0,
            "SwiftGAN shape error: averagePooled(factor: \(f)) needs a height and width divisible by it, got \(describe(shape))"
        )
        let (oh, ow) = (h / f, w / f)
        let out = Tensor.zeros([n, oh, ow, c])
        let src = data, dst = out.data, scale = 1 / Float(f * f)
        Parallel.forEachChunk(
            n * oh, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(w * f * c, 1))
        ) { range in
            for row in range {
                let (b, y) = (row / oh, row % oh)
                let output = dst + row * ow * c
                for dy in 0..<f {
                    let input = src + ((b * h + y * f + dy) * w) * c
                    for x in 0..<w {
                        let o = output + (x / f) * c, i = input + x * c
                        for k in 0..<c { o[k] += i[k] * scale }
                    }
                }
            }
        }
        return Tensor.record("averagePooled", out, [self]) { g, _ in [g.upsampledNearest(factor: f) * scale] }
    }

    private func imageDimensions(_ op: String) -> (Int, Int, Int, Int) {
        require(
            rank == 4,
            "SwiftGAN shape error: \(op) takes [batch, height, width, channels] images, got \(describe(shape))")
        return (shape[0], shape[1], shape[2], shape[3])
    }
}
