import Foundation

/// Fits an image to height × width (``ImageFit``: a centre crop of the target's aspect, or the
/// whole image inside black bands) and resamples it, separably (rows, then columns):
/// - shrinking averages areas: output pixel i covers source interval [i·s/n, (i+1)·s/n) of the
///   window read, and each source pixel counts with the length of its overlap (no aliasing, and an
///   edge that falls on a pixel boundary stays sharp);
/// - enlarging interpolates bilinearly between pixel centres: source x = (i + ½)·s/n − ½, clamped
///   to the window.
/// Each axis is shrunk or enlarged on its own.
///
/// The window is a rectangle of the full-resolution image in whole pixels, offset by whole pixels
/// like torchvision's `CenterCrop`. For an image decoded at reduced scale that rectangle starts at
/// a fraction of a decoded pixel, so the interval bounds are real numbers, not integers.
///
/// Gray becomes RGB by repetition, RGB becomes gray by Rec. 601 luma
/// Y = 0.299 R + 0.587 G + 0.114 B, applied before the single final rounding.
///
/// A square crop gives the bytes that the square-only `centreSquare` of earlier versions gave: the
/// same taps and the same sums in the same order (a test keeps that function to compare).
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

    /// Where an image goes in a height × width output: the window of its full-resolution pixels
    /// that is read, and the rectangle of the output that the window is resampled to (with
    /// ``ImageFit/pad``, everything outside it is black).
    struct Placement: Equatable {
        /// The window read, in full-resolution pixels.
        var sourceX: Int, sourceY: Int, sourceWidth: Int, sourceHeight: Int
        /// The rectangle of the output written from the window.
        var x: Int, y: Int, width: Int, height: Int

        init(fullWidth: Int, fullHeight: Int, height: Int, width: Int, fit: ImageFit) {
            switch fit {
            case .crop:
                // One side whole, the other cut to the target's aspect.
                sourceWidth = Placement.scaled(fullHeight, by: width, over: height, atMost: fullWidth)
                sourceHeight = Placement.scaled(fullWidth, by: height, over: width, atMost: fullHeight)
                (sourceX, sourceY) = ((fullWidth - sourceWidth) / 2, (fullHeight - sourceHeight) / 2)
                (x, y, self.width, self.height) = (0, 0, width, height)
            case .pad:
                // One side filled, the other scaled to the image's aspect.
                (sourceX, sourceY, sourceWidth, sourceHeight) = (0, 0, fullWidth, fullHeight)
                let inner = (
                    width: Placement.scaled(fullWidth, by: height, over: fullHeight, atMost: width),
                    height: Placement.scaled(fullHeight, by: width, over: fullWidth, atMost: height)
                )
                (x, y) = ((width - inner.width) / 2, (height - inner.height) / 2)
                (self.width, self.height) = (inner.width, inner.height)
            }
        }

        /// side · by / over to the nearest whole number, in 1...limit. In Double: the product of
        /// two sides can pass Int.max, and when `by` equals `over` (a square target) the result is
        /// `side` exactly.
        static func scaled(_ side: Int, by: Int, over: Int, atMost limit: Int) -> Int {
            Int(min(Double(limit), max(1, (Double(side) * Double(by) / Double(over)).rounded())))
        }
    }

    /// Writes `image` fitted to height × width (see ``ImageFit``) with `channels` channels (1 or
    /// 3) to `out` (height·width·channels bytes, NHWC), every byte of it: with `.pad` the bands
    /// are 0.
    static func fit(
        _ image: DecodedImage, height: Int, width: Int, channels: Int, fit: ImageFit,
        into out: UnsafeMutablePointer<UInt8>
    ) {
        let c = image.channels, reduction = Double(image.reduction)
        let place = Placement(
            fullWidth: image.fullWidth, fullHeight: image.fullHeight, height: height, width: width, fit: fit)
        let across = Taps(
            start: Double(place.sourceX) / reduction, length: Double(place.sourceWidth) / reduction,
            available: image.width, to: place.width)
        let down = Taps(
            start: Double(place.sourceY) / reduction, length: Double(place.sourceHeight) / reduction,
            available: image.height, to: place.height)
        // Only the rows that the vertical taps read are resampled horizontally.
        let rowLo = down.first[0], rowHi = down.first[place.height - 1] + down.count[place.height - 1]
        let rowLength = place.width * c
        var horizontal = [Float](repeating: 0, count: (rowHi - rowLo) * rowLength)
        var resampled = [Float](repeating: 0, count: place.height * rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { h in
                across.first.withUnsafeBufferPointer { first in
                    across.count.withUnsafeBufferPointer { count in
                        across.weights.withUnsafeBufferPointer { weights in
                            for y in rowLo..<rowHi {
                                let row = src.baseAddress! + y * image.width * c
                                let dst = h.baseAddress! + (y - rowLo) * rowLength
                                for x in 0..<place.width {
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
                resampled.withUnsafeMutableBufferPointer { v in
                    for y in 0..<place.height {
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
        if place.width < width || place.height < height { out.update(repeating: 0, count: height * width * channels) }
        resampled.withUnsafeBufferPointer { v in
            @inline(__always) func byte(_ value: Float) -> UInt8 { UInt8(min(max(value, 0), 255) + 0.5) }
            for y in 0..<place.height {
                let line = v.baseAddress! + y * rowLength
                let dst = out + ((place.y + y) * width + place.x) * channels
                switch (c, channels) {
                case (3, 1):
                    for p in 0..<place.width {
                        dst[p] = byte(0.299 * line[3 * p] + 0.587 * line[3 * p + 1] + 0.114 * line[3 * p + 2])
                    }
                case (1, 3):
                    for p in 0..<place.width {
                        (dst[3 * p], dst[3 * p + 1], dst[3 * p + 2]) = (byte(line[p]), byte(line[p]), byte(line[p]))
                    }
                default:
                    for i in 0..<rowLength { dst[i] = byte(line[i]) }
                }
            }
        }
    }
}
