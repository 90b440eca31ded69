import Foundation

/// Chooses at most `maximumCount` colours for a set of RGB images, as GIF's palettes need.
///
/// When the images hold no more distinct colours than that, the palette is exactly those colours
/// (in increasing 0xRRGGBB order), so mapping loses nothing. Otherwise it comes from variance-based
/// median cut (Wan, Prusinkiewicz and Wong, "Variance-based color image quantization for frame
/// buffer display", 1990) over a histogram of every pixel at 6 bits per channel: starting from one
/// box holding all occupied histogram cells, split the box with the largest squared error
/// E = Σ count · |cell mean − box mean|², along the channel contributing most to it, at the cut
/// that leaves the two halves the least total error; each box's colour is the mean of its pixels.
/// The result depends only on the pixels, never on a random sample or on their order.
///
/// ```swift
/// let palette = ColorQuantizer.palette(for: rgbFrames, maximumCount: 256)
/// let indices = NearestColor.indices(of: rgbFrames, in: palette)   // one [UInt8] per frame
/// ```
enum ColorQuantizer {
    static func palette(for images: [RasterImage], maximumCount: Int) -> [RGBColor] {
        precondition(images.allSatisfy { $0.channels == 3 }, "the colour quantizer takes RGB images")
        precondition(maximumCount >= 1, "a palette needs at least one colour")
        if let exact = distinctColors(in: images, limit: maximumCount) { return exact }
        return varianceCut(images, colorCount: maximumCount)
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

    /// At most `colorCount` colours by variance-based median cut (see the type's documentation).
    static func varianceCut(_ images: [RasterImage], colorCount: Int) -> [RGBColor] {
        var histogram = ColorHistogram(images)
        guard !histogram.cells.isEmpty else { return [] }
        var boxes = [histogram.box(0..<histogram.cells.count)]
        while boxes.count < colorCount {
            let splittable = boxes.indices.filter { boxes[$0].splitAxis != nil }
            guard let worst = splittable.max(by: { boxes[$0].squaredError < boxes[$1].squaredError }) else { break }
            let (left, right) = histogram.split(boxes[worst])
            boxes[worst] = left
            boxes.append(right)
        }
        return boxes.map(\.meanColor)
    }
}

/// Pixel counts and channel sums per histogram cell. Cells are 4 levels wide per channel: fine
/// enough that a box of one cell is within ±2 levels of its pixels, coarse enough (2¹⁸ cells)
/// to count every pixel of every frame.
private struct ColorHistogram {
    static let cellBits = 6
    static let coordinateMask = (1 << cellBits) - 1
    /// Where red, green and blue sit in a cell number.
    static let shifts = SIMD3<Int>(2 * cellBits, cellBits, 0)

    /// A set of cells, `cells[range]`, with what the cut needs to know about them.
    struct Box {
        var range: Range<Int>
        var count: Int
        var sum: SIMD3<Double>
        var squaredError: Double
        /// The channel to split along, or nil for a box of one cell.
        var splitAxis: Int?

        var meanColor: RGBColor {
            let mean = (sum / Double(count)).rounded(.toNearestOrAwayFromZero)
            return RGBColor(UInt8(mean.x), UInt8(mean.y), UInt8(mean.z))
        }
    }

    private var counts: [Int]
    private var sums: [Int]  // red, green, blue for each cell
    /// The occupied cells; every box owns a contiguous range, which splits reorder.
    private(set) var cells: [Int]

    init(_ images: [RasterImage]) {
        let cellCount = 1 << (3 * Self.cellBits)
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
        self.counts = counts
        self.sums = sums
        cells = counts.indices.filter { counts[$0] > 0 }
    }

    private func cellSum(_ cell: Int) -> SIMD3<Double> {
        SIMD3(Double(sums[3 * cell]), Double(sums[3 * cell + 1]), Double(sums[3 * cell + 2]))
    }

    private func coordinates(_ cell: Int) -> SIMD3<Int> {
        (SIMD3(repeating: cell) &>> Self.shifts) & Self.coordinateMask
    }

    func box(_ range: Range<Int>) -> Box {
        var count = 0, sum = SIMD3<Double>.zero, sumOfCellSquares = SIMD3<Double>.zero
        var lowest = SIMD3<Int>(repeating: .max), highest = SIMD3<Int>(repeating: .min)
        for cell in cells[range] {
            let cellSum = cellSum(cell)
            count += counts[cell]
            sum += cellSum
            sumOfCellSquares += cellSum * cellSum / Double(counts[cell])
            lowest = pointwiseMin(lowest, coordinates(cell))
            highest = pointwiseMax(highest, coordinates(cell))
        }
        // Per channel, Σ count · (cell mean − box mean)² = Σ sum²/count − (Σ sum)²/(Σ count).
        let errors = sumOfCellSquares - sum * sum / Double(count)
        let splittable = (0..<3).filter { highest[$0] > lowest[$0] }
        return Box(
            range: range, count: count, sum: sum, squaredError: errors.sum(),
            splitAxis: splittable.max { errors[$0] < errors[$1] })
    }

    /// The two halves of `box` cut across its split axis where they keep the least squared error.
    mutating func split(_ box: Box) -> (Box, Box) {
        let axis = box.splitAxis!
        let sliceCount = 1 << Self.cellBits
        var sliceCounts = [Int](repeating: 0, count: sliceCount)
        var sliceSums = [SIMD3<Double>](repeating: .zero, count: sliceCount)
        for cell in cells[box.range] {
            let slice = coordinates(cell)[axis]
            sliceCounts[slice] += counts[cell]
            sliceSums[slice] += cellSum(cell)
        }
        // The halves' error is Σ sum²/count over their cells (fixed) minus |half sum|²/half count
        // for each half, so the best cut maximises the sum of the latter.
        var bestCut = 0, bestScore = -Double.infinity
        var leftCount = 0, leftSum = SIMD3<Double>.zero
        for slice in 0..<sliceCount - 1 {
            leftCount += sliceCounts[slice]
            leftSum += sliceSums[slice]
            let rightCount = box.count - leftCount, rightSum = box.sum - leftSum
            guard leftCount > 0, rightCount > 0 else { continue }
            let score = (leftSum * leftSum).sum() / Double(leftCount) + (rightSum * rightSum).sum() / Double(rightCount)
            if score > bestScore {
                bestScore = score
                bestCut = slice
            }
        }
        var boundary = box.range.lowerBound
        for i in box.range where coordinates(cells[i])[axis] <= bestCut {
            cells.swapAt(i, boundary)
            boundary += 1
        }
        return (self.box(box.range.lowerBound..<boundary), self.box(boundary..<box.range.upperBound))
    }
}

/// Maps RGB pixels to the nearest palette colour: the lowest index among the colours at the least
/// squared RGB distance, exactly as a search of the whole palette would find it.
///
/// Rather than search all colours per pixel, it splits RGB space into 32³ cells and, for each cell
/// that some pixel falls in, keeps only the palette colours that can be nearest to a point of it
/// (Heckbert 1982, "locally sorted search"): every point of the cell is within D of some colour,
/// D being the least over all colours of the distance to the cell's farthest corner, so a colour
/// farther than D from the whole cell never wins. A pixel then checks a handful of candidates.
///
/// ```swift
/// let indices = NearestColor.indices(of: [frame], in: [.black, .white, .red])[0]
/// ```
enum NearestColor {
    static let cellShift = 3

    static func indices(of images: [RasterImage], in palette: [RGBColor]) -> [[UInt8]] {
        precondition((1...256).contains(palette.count), "a GIF palette holds 1...256 colours, got \(palette.count)")
        precondition(images.allSatisfy { $0.channels == 3 }, "palette mapping takes RGB images")
        let levels = 256 >> cellShift
        func cell(_ r: Int, _ g: Int, _ b: Int) -> Int {
            ((r >> cellShift) * levels + (g >> cellShift)) * levels + (b >> cellShift)
        }

        var occupied = [Bool](repeating: false, count: levels * levels * levels)
        occupied.withUnsafeMutableBufferPointer { occupied in
            for image in images {
                image.pixels.withUnsafeBufferPointer { pixels in
                    for i in stride(from: 0, to: pixels.count, by: 3) {
                        occupied[cell(Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2]))] = true
                    }
                }
            }
        }

        let red = palette.map { Int($0.red) }, green = palette.map { Int($0.green) },
            blue = palette.map { Int($0.blue) }
        var candidates: [UInt8] = []
        var candidateStart = [Int](repeating: 0, count: occupied.count + 1)
        /// Squared distances along one channel from `value` to the nearest and the farthest level of a cell.
        func span(_ value: Int, cellLow low: Int) -> (nearest: Int, farthest: Int) {
            let high = low + (1 << cellShift) - 1
            let nearest = value < low ? low - value : value > high ? value - high : 0
            let farthest = max(value - low, high - value)
            return (nearest * nearest, farthest * farthest)
        }
        var nearest = [Int](repeating: 0, count: palette.count)
        for c in occupied.indices {
            candidateStart[c] = candidates.count
            guard occupied[c] else { continue }
            let lowRed = (c / (levels * levels)) << cellShift
            let lowGreen = (c / levels % levels) << cellShift
            let lowBlue = (c % levels) << cellShift
            var cover = Int.max
            for i in palette.indices {
                let r = span(red[i], cellLow: lowRed), g = span(green[i], cellLow: lowGreen),
                    b = span(blue[i], cellLow: lowBlue)
                nearest[i] = r.nearest + g.nearest + b.nearest
                cover = min(cover, r.farthest + g.farthest + b.farthest)
            }
            for i in palette.indices where nearest[i] <= cover { candidates.append(UInt8(i)) }
        }
        candidateStart[occupied.count] = candidates.count

        return images.map { image in
            var indices = [UInt8](repeating: 0, count: image.width * image.height)
            red.withUnsafeBufferPointer { red in
                green.withUnsafeBufferPointer { green in
                    blue.withUnsafeBufferPointer { blue in
                        candidates.withUnsafeBufferPointer { candidates in
                            candidateStart.withUnsafeBufferPointer { start in
                                image.pixels.withUnsafeBufferPointer { pixels in
                                    indices.withUnsafeMutableBufferPointer { out in
                                        for p in 0..<out.count {
                                            let r = Int(pixels[3 * p]), g = Int(pixels[3 * p + 1]),
                                                b = Int(pixels[3 * p + 2])
                                            let c = cell(r, g, b)
                                            var best = Int.max, bestIndex: UInt8 = 0
                                            for k in start[c]..<start[c + 1] {
                                                let i = Int(candidates[k])
                                                let dr = red[i] - r, dg = green[i] - g, db = blue[i] - b
                                                let distance = dr * dr + dg * dg + db * db
                                                if distance < best {
                                                    best = distance
                                                    bestIndex = candidates[k]
                                                }
                                            }
                                            out[p] = bestIndex
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return indices
        }
    }
}
