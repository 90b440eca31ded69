import Foundation

/// Chooses at most `maximumCount` colours for a set of RGB images, as GIF's palettes need.
///
/// When the images hold no more distinct colours than that, the palette is exactly those colours
/// (sorted), so mapping loses nothing. Otherwise it is Heckbert's median cut ("Color image
/// quantization for frame buffer display", 1982) over a histogram of all pixels at 6 bits per
/// channel: start with one box holding every occupied histogram cell, repeatedly split the box with
/// the largest squared error (Σ count · |cell mean − box mean|²) at the pixel-weighted median of
/// the channel along which it varies most, and give each box the mean of the pixels in it. The
/// result depends only on the pixels, never on a random sample.
///
/// ```swift
/// let palette = ColorQuantizer.palette(for: rgbFrames, maximumCount: 256)
/// var map = NearestColorMap(palette: palette)
/// let indices = rgbFrames.map { map.indices(of: $0) }
/// ```
enum ColorQuantizer {
    static func palette(for images: [RasterImage], maximumCount: Int) -> [RGBColor] {
        precondition(images.allSatisfy { $0.channels == 3 }, "the colour quantizer takes RGB images")
        precondition(maximumCount >= 1, "a palette needs at least one colour")
        if let exact = distinctColors(in: images, limit: maximumCount) { return exact }
        return medianCut(images, colorCount: maximumCount)
    }

    /// The images' distinct colours in increasing 0xRRGGBB order, or nil when there are more than `limit`.
    static func distinctColors(in images: [RasterImage], limit: Int) -> [RGBColor]? {
        var seen = [UInt64](repeating: 0, count: (1 << 24) / 64)
        var colors: [UInt32] = []
        let complete = seen.withUnsafeMutableBufferPointer { seen -> Bool in
            for image in images {
                let fits = image.pixels.withUnsafeBufferPointer { pixels -> Bool in
                    for i in stride(from: 0, to: pixels.count, by: 3) {
                        let key = UInt32(pixels[i]) << 16 | UInt32(pixels[i + 1]) << 8 | UInt32(pixels[i + 2])
                        let word = Int(key >> 6), bit = UInt64(1) << UInt64(key & 63)
                        if seen[word] & bit != 0 { continue }
                        seen[word] |= bit
                        colors.append(key)
                        if colors.count > limit { return false }
                    }
                    return true
                }
                if !fits { return false }
            }
            return true
        }
        guard complete else { return nil }
        return colors.sorted().map { RGBColor(UInt8($0 >> 16), UInt8(($0 >> 8) & 0xFF), UInt8($0 & 0xFF)) }
    }

    /// Histogram cells are 4 levels wide per channel: fine enough that a box of one cell is within
    /// ±2 levels of its mean, coarse enough (2¹⁸ cells) to count every pixel of every frame.
    private static let cellBits = 6
    private static let axisShifts = [2 * cellBits, cellBits, 0]  // red, green, blue within a cell number

    private struct Box {
        /// The box's cells are `cells[range]`.
        var range: Range<Int>
        var squaredError: Double
        /// The channel to split along, or nil for a box of one cell.
        var splitAxis: Int?
    }

    static func medianCut(_ images: [RasterImage], colorCount: Int) -> [RGBColor] {
        let cellCount = 1 << (3 * cellBits)
        var counts = [Int](repeating: 0, count: cellCount)
        var sums = [Int](repeating: 0, count: 3 * cellCount)
        counts.withUnsafeMutableBufferPointer { counts in
            sums.withUnsafeMutableBufferPointer { sums in
                for image in images {
                    image.pixels.withUnsafeBufferPointer { pixels in
                        for i in stride(from: 0, to: pixels.count, by: 3) {
                            let r = Int(pixels[i]), g = Int(pixels[i + 1]), b = Int(pixels[i + 2])
                            let cell = (r >> 2) << 12 | (g >> 2) << 6 | b >> 2
                            counts[cell] += 1
                            sums[3 * cell] += r
                            sums[3 * cell + 1] += g
                            sums[3 * cell + 2] += b
                        }
                    }
                }
            }
        }
        var cells = (0..<cellCount).filter { counts[$0] > 0 }
        guard !cells.isEmpty else { return [] }

        func makeBox(_ range: Range<Int>) -> Box {
            var total = 0
            var channelSums = [0, 0, 0]
            var sumOfCellSquares: [Double] = [0, 0, 0]
            var lowest = [Int.max, Int.max, Int.max], highest = [Int.min, Int.min, Int.min]
            for cell in cells[range] {
                let n = counts[cell]
                total += n
                for axis in 0..<3 {
                    let s = sums[3 * cell + axis]
                    channelSums[axis] += s
                    sumOfCellSquares[axis] += Double(s) * Double(s) / Double(n)
                    let coordinate = (cell >> axisShifts[axis]) & ((1 << cellBits) - 1)
                    lowest[axis] = min(lowest[axis], coordinate)
                    highest[axis] = max(highest[axis], coordinate)
                }
            }
            // Per channel, Σ count · (cell mean − box mean)² = Σ sum²/count − (Σ sum)²/(Σ count).
            let errors = (0..<3).map { sumOfCellSquares[$0] - Double(channelSums[$0]) * Double(channelSums[$0]) / Double(total) }
            let splittable = (0..<3).filter { highest[$0] > lowest[$0] }
            return Box(range: range, squaredError: errors.reduce(0, +),
                       splitAxis: splittable.max { errors[$0] < errors[$1] })
        }

        func split(_ box: Box, along axis: Int) -> (Box, Box) {
            let shift = axisShifts[axis], mask = (1 << cellBits) - 1
            var countAt = [Int](repeating: 0, count: 1 << cellBits)
            var total = 0
            for cell in cells[box.range] {
                countAt[(cell >> shift) & mask] += counts[cell]
                total += counts[cell]
            }
            let highest = countAt.lastIndex { $0 > 0 }!
            // The cut keeps coordinates up to the weighted median on the left, and at least the
            // highest occupied coordinate on the right, so both halves hold cells.
            var cut = 0, running = 0
            while cut < highest - 1 {
                running += countAt[cut]
                if 2 * running >= total { break }
                cut += 1
            }
            var boundary = box.range.lowerBound
            for i in box.range where (cells[i] >> shift) & mask <= cut {
                cells.swapAt(i, boundary)
                boundary += 1
            }
            return (makeBox(box.range.lowerBound..<boundary), makeBox(boundary..<box.range.upperBound))
        }

        var boxes = [makeBox(0..<cells.count)]
        while boxes.count < colorCount {
            let candidates = boxes.indices.filter { boxes[$0].splitAxis != nil }
            guard let worst = candidates.max(by: { boxes[$0].squaredError < boxes[$1].squaredError }) else { break }
            let (left, right) = split(boxes[worst], along: boxes[worst].splitAxis!)
            boxes[worst] = left
            boxes.append(right)
        }
        return boxes.map { box in
            var total = 0, channelSums = [0, 0, 0]
            for cell in cells[box.range] {
                total += counts[cell]
                for axis in 0..<3 { channelSums[axis] += sums[3 * cell + axis] }
            }
            let mean = channelSums.map { UInt8(($0 + total / 2) / total) }
            return RGBColor(mean[0], mean[1], mean[2])
        }
    }
}

/// Maps RGB pixels to the index of the nearest palette colour by squared RGB distance, the same
/// index for the same colour every time. Colours already seen are answered from a small cache; others search the
/// palette sorted by green outward from the pixel's green value, stopping in each direction once
/// the green difference alone exceeds the best distance (Heckbert's "locally sorted search").
struct NearestColorMap {
    let palette: [RGBColor]
    private let sortedGreen: [Int], sortedRed: [Int], sortedBlue: [Int], sortedIndex: [UInt8]
    /// `searchStart[g]`: the first position in the sorted palette whose green is at least `g`.
    private let searchStart: [Int]
    private static let cacheBits = 16
    /// A direct-mapped cache from 0xRRGGBB to palette index; `UInt32.max` marks an empty slot.
    private var cacheKeys: [UInt32]
    private var cacheIndices: [UInt8]

    init(palette: [RGBColor]) {
        precondition((1...256).contains(palette.count), "a GIF palette holds 1...256 colours, got \(palette.count)")
        self.palette = palette
        let order = palette.indices.sorted { (palette[$0].green, $0) < (palette[$1].green, $1) }
        sortedGreen = order.map { Int(palette[$0].green) }
        sortedRed = order.map { Int(palette[$0].red) }
        sortedBlue = order.map { Int(palette[$0].blue) }
        sortedIndex = order.map { UInt8($0) }
        searchStart = (0..<256).map { [sortedGreen] g in sortedGreen.firstIndex { $0 >= g } ?? sortedGreen.count }
        cacheKeys = [UInt32](repeating: .max, count: 1 << Self.cacheBits)
        cacheIndices = [UInt8](repeating: 0, count: 1 << Self.cacheBits)
    }

    /// The palette index of every pixel of an RGB image, row-major.
    mutating func indices(of image: RasterImage) -> [UInt8] {
        precondition(image.channels == 3, "palette mapping takes an RGB image")
        var indices = [UInt8](repeating: 0, count: image.width * image.height)
        let count = sortedGreen.count
        sortedGreen.withUnsafeBufferPointer { sg in
        sortedRed.withUnsafeBufferPointer { sr in
        sortedBlue.withUnsafeBufferPointer { sb in
        sortedIndex.withUnsafeBufferPointer { si in
        searchStart.withUnsafeBufferPointer { start in
        cacheKeys.withUnsafeMutableBufferPointer { keys in
        cacheIndices.withUnsafeMutableBufferPointer { cached in
        image.pixels.withUnsafeBufferPointer { pixels in
        indices.withUnsafeMutableBufferPointer { out in
            for p in 0..<out.count {
                let r = Int(pixels[3 * p]), g = Int(pixels[3 * p + 1]), b = Int(pixels[3 * p + 2])
                let key = UInt32(r << 16 | g << 8 | b)
                let slot = Int((key &* 0x9E37_79B1) >> UInt32(32 - Self.cacheBits))
                if keys[slot] == key {
                    out[p] = cached[slot]
                    continue
                }
                var best = Int.max, bestIndex: UInt8 = 0
                var up = start[g], down = up - 1
                while (up < count || down >= 0) && best > 0 {
                    if up < count {
                        let dg = sg[up] - g
                        if dg * dg >= best {
                            up = count
                        } else {
                            let dr = sr[up] - r, db = sb[up] - b
                            let distance = dr * dr + dg * dg + db * db
                            if distance < best { best = distance; bestIndex = si[up] }
                            up += 1
                        }
                    }
                    if down >= 0 {
                        let dg = sg[down] - g
                        if dg * dg >= best {
                            down = -1
                        } else {
                            let dr = sr[down] - r, db = sb[down] - b
                            let distance = dr * dr + dg * dg + db * db
                            if distance < best { best = distance; bestIndex = si[down] }
                            down -= 1
                        }
                    }
                }
                keys[slot] = key
                cached[slot] = bestIndex
                out[p] = bestIndex
            }
        }}}}}}}}}
        return indices
    }
}
