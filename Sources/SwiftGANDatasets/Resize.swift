import Foundation

/// Centre-crops an image to a square and resamples it to side × side, separably (rows, then
/// columns):
/// - shrinking averages areas: output pixel i covers source interval [i·s/n, (i+1)·s/n) of the
///   crop, and each source pixel counts with the length of its overlap (no aliasing, and an edge
///   that falls on a pixel boundary stays sharp);
/// - enlarging interpolates bilinearly between pixel centres: source x = (i + ½)·s/n − ½, clamped
///   to the crop.
///
/// The crop is the full-resolution image's centre square, offset by whole pixels like
/// torchvision's `CenterCrop`. For an image decoded at reduced scale that square starts at a
/// fraction of a decoded pixel, so the interval bounds are real numbers, not integers.
///
/// Gray becomes RGB by repetition, RGB becomes gray by Rec. 601 luma
/// Y = 0.299 R + 0.587 G + 0.114 B, applied before the single final rounding.
enum ImageResize {
    /// One output position's source taps along one axis.
    struct Taps {
        /// Output i reads source indices first[i] ..< first[i] + count[i] with weights
        /// weights[i·stride ..< i·stride + count[i]], which sum to 1.
        var first: [Int] = [], count: [Int] = [], weights: [Float] = [], stride: Int

        /// Taps resampling the window [start, start + length) of a line of `available` pixels to `n`.
        init(start: Double, length: Double, available: Int, to n: Int) {
            let step = length / Double(n)
            if step > 1 {
                stride = Int(step.rounded(.up)) + 1
                for i in 0..<n {
                    let lo = start + Double(i) * step, hi = start + Double(i + 1) * step
                    let j0 = max(Int(lo.rounded(.down)), 0), j1 = min(Int(hi.rounded(.up)), available)
                    first.append(j0)
                    count.append(j1 - j0)
                    var row = [Float](repeating: 0, count: stride)
                    for j in j0..<j1 { row[j - j0] = Float((min(hi, Double(j + 1)) - max(lo, Double(j))) / step) }
                    weights += row
                }
            } else {
                stride = 2
                let lowest = max(start, 0), highest = min(start + length - 1, Double(available - 1))
                for i in 0..<n {
                    let x = min(max(start + (Double(i) + 0.5) * step - 0.5, lowest), highest)
                    let j0 = Int(x.rounded(.down)), f = Float(x - Double(j0))
                    let pair = j0 + 1 < available
                    first.append(j0)
                    count.append(pair ? 2 : 1)
                    weights += pair ? [1 - f, f] : [1, 0]
                }
            }
        }
    }

    /// Writes `image`'s centre square, resampled to side × side with `channels` channels (1 or 3),
    /// to `out` (side·side·channels bytes, NHWC).
    static func centreSquare(_ image: DecodedImage, side: Int, channels: Int, into out: UnsafeMutablePointer<UInt8>) {
        let c = image.channels, reduction = Double(image.reduction)
        let full = min(image.fullWidth, image.fullHeight)
        let length = Double(full) / reduction
        let across = Taps(
            start: Double((image.fullWidth - full) / 2) / reduction, length: length, available: image.width, to: side)
        let down = Taps(
            start: Double((image.fullHeight - full) / 2) / reduction, length: length, available: image.height, to: side)
        // Only the rows that the vertical taps read are resampled horizontally.
        let rowLo = down.first[0], rowHi = down.first[side - 1] + down.count[side - 1]
        let rowLength = side * c
        var horizontal = [Float](repeating: 0, count: (rowHi - rowLo) * rowLength)
        var square = [Float](repeating: 0, count: side * rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { h in
                across.first.withUnsafeBufferPointer { first in
                    across.count.withUnsafeBufferPointer { count in
                        across.weights.withUnsafeBufferPointer { weights in
                            for y in rowLo..<rowHi {
                                let row = src.baseAddress! + y * image.width * c
                                let dst = h.baseAddress! + (y - rowLo) * rowLength
                                for x in 0..<side {
                                    let w = weights.baseAddress! + x * across.stride
                                    for ch in 0..<c {
                                        var sum: Float = 0
                                        for k in 0..<count[x] { sum += w[k] * Float(row[(first[x] + k) * c + ch]) }
                                        dst[x * c + ch] = sum
                                    }
                                }
                            }
                        }
                    }
                }
                square.withUnsafeMutableBufferPointer { v in
                    for y in 0..<side {
                        let dst = v.baseAddress! + y * rowLength
                        for k in 0..<down.count[y] {
                            let w = down.weights[y * down.stride + k],
                                src = h.baseAddress! + (down.first[y] + k - rowLo) * rowLength
                            for i in 0..<rowLength { dst[i] += w * src[i] }
                        }
                    }
                }
            }
        }
        square.withUnsafeBufferPointer { v in
            let pixelCount = side * side
            @inline(__always) func byte(_ value: Float) -> UInt8 { UInt8(min(max(value, 0), 255) + 0.5) }
            switch (c, channels) {
            case (3, 1):
                for p in 0..<pixelCount {
                    out[p] = byte(0.299 * v[3 * p] + 0.587 * v[3 * p + 1] + 0.114 * v[3 * p + 2])
                }
            case (1, 3):
                for p in 0..<pixelCount {
                    (out[3 * p], out[3 * p + 1], out[3 * p + 2]) = (byte(v[p]), byte(v[p]), byte(v[p]))
                }
            default:
                for i in 0..<(pixelCount * c) { out[i] = byte(v[i]) }
            }
        }
    }
}
