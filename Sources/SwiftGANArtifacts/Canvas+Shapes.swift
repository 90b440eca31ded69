// Anti-aliased shapes: each pixel is covered by the fraction of it that lies within the shape,
// estimated from the distance between the pixel's centre and the shape's edge, and the colour is
// mixed in by that fraction. Lines have round ends and joints.

extension Canvas {
    /// A straight line `width` pixels wide between two points.
    public mutating func drawLine(
        from start: (x: Double, y: Double), to end: (x: Double, y: Double),
        color: RGBColor, width: Double = 1, opacity: Double = 1
    ) {
        drawPolyline([start, end], color: color, width: width, opacity: opacity)
    }

    /// Connected line segments through `points`, `width` pixels wide; `opacity` below 1 lets what is
    /// underneath show through. A point with a NaN or infinite coordinate leaves a gap: the segments
    /// on either side of it are not drawn. A single point is drawn as a dot.
    ///
    /// ```swift
    /// canvas.drawPolyline(curve, color: .blue, width: 1, opacity: 0.3)   // one of many faint curves
    /// ```
    public mutating func drawPolyline(
        _ points: [(x: Double, y: Double)], color: RGBColor,
        width: Double = 1, opacity: Double = 1
    ) {
        guard width > 0, opacity > 0 else { return }
        // Lines thinner than a pixel are drawn a pixel wide and proportionally fainter.
        let halfWidth = max(width, 1) / 2
        let alpha = Float(min(width, 1) * min(opacity, 1))
        let pairs = points.count == 1 ? [(points[0], points[0])] : zip(points, points.dropFirst()).map { ($0, $1) }
        withPixels { pixels in
            let reach = halfWidth + 1
            let limits = (
                minX: Double(pixels.area.x) - reach, minY: Double(pixels.area.y) - reach,
                maxX: Double(pixels.area.maxX) + reach, maxY: Double(pixels.area.maxY) + reach
            )
            let segments = pairs.compactMap { Segment(from: $0.0, to: $0.1, clippedTo: limits) }
            guard !segments.isEmpty else { return }
            let box = Segment.pixelBounds(of: segments, reach: reach).intersection(pixels.area)
            guard !box.isEmpty else { return }
            // Coverage is the maximum over segments, so joints, where segments overlap, are not
            // darkened by being mixed in twice.
            var coverage = [Float](repeating: 0, count: box.width * box.height)
            coverage.withUnsafeMutableBufferPointer { coverage in
                for segment in segments {
                    let local = Segment.pixelBounds(of: [segment], reach: reach).intersection(box)
                    guard !local.isEmpty else { continue }
                    for y in local.y..<local.maxY {
                        let row = (y - box.y) * box.width - box.x
                        for x in local.x..<local.maxX {
                            let distance = segment.distance(toX: Double(x) + 0.5, y: Double(y) + 0.5)
                            let covered = Float(min(1, max(0, halfWidth + 0.5 - distance)))
                            if covered > coverage[row + x] { coverage[row + x] = covered }
                        }
                    }
                }
                for y in box.y..<box.maxY {
                    let row = (y - box.y) * box.width - box.x
                    for x in box.x..<box.maxX where coverage[row + x] > 0 {
                        pixels.blend(x: x, y: y, color: color, alpha: coverage[row + x] * alpha)
                    }
                }
            }
        }
    }

    /// A filled disc, for markers on a chart.
    public mutating func fillCircle(
        center: (x: Double, y: Double), radius: Double, color: RGBColor,
        opacity: Double = 1
    ) {
        guard radius > 0, center.x.isFinite, center.y.isFinite else { return }
        withPixels { pixels in
            let area = pixels.area
            let left = max(Double(area.x), (center.x - radius - 1).rounded(.down))
            let right = min(Double(area.maxX), (center.x + radius + 1).rounded(.up))
            let top = max(Double(area.y), (center.y - radius - 1).rounded(.down))
            let bottom = min(Double(area.maxY), (center.y + radius + 1).rounded(.up))
            guard left < right, top < bottom else { return }
            let box = PixelRect(x: Int(left), y: Int(top), width: Int(right - left), height: Int(bottom - top))
            for y in box.y..<box.maxY {
                for x in box.x..<box.maxX {
                    let dx = Double(x) + 0.5 - center.x, dy = Double(y) + 0.5 - center.y
                    let covered = min(1, max(0, radius + 0.5 - (dx * dx + dy * dy).squareRoot()))
                    if covered > 0 { pixels.blend(x: x, y: y, color: color, alpha: Float(covered * min(opacity, 1))) }
                }
            }
        }
    }
}

/// A line segment already clipped to the neighbourhood of the drawable area, so its coordinates
/// stay small however far off the canvas the caller's points lie.
private struct Segment {
    let x0, y0, dx, dy, inverseSquaredLength: Double

    init?(
        from a: (x: Double, y: Double), to b: (x: Double, y: Double),
        clippedTo limits: (minX: Double, minY: Double, maxX: Double, maxY: Double)
    ) {
        let dx = b.x - a.x, dy = b.y - a.y
        guard a.x.isFinite, a.y.isFinite, dx.isFinite, dy.isFinite else { return nil }
        // Liang–Barsky: the part of the segment, as a range of t in a + t·(b − a), inside the limits.
        var t0 = 0.0, t1 = 1.0
        for (p, q) in [
            (-dx, a.x - limits.minX), (dx, limits.maxX - a.x), (-dy, a.y - limits.minY), (dy, limits.maxY - a.y),
        ] {
            if p == 0 {
                if q < 0 { return nil }
            } else if p < 0 {
                t0 = max(t0, q / p)
            } else {
                t1 = min(t1, q / p)
            }
        }
        guard t0 <= t1 else { return nil }
        x0 = a.x + t0 * dx
        y0 = a.y + t0 * dy
        self.dx = (t1 - t0) * dx
        self.dy = (t1 - t0) * dy
        let squaredLength = self.dx * self.dx + self.dy * self.dy
        inverseSquaredLength = squaredLength > 0 ? 1 / squaredLength : 0
    }

    @inline(__always)
    func distance(toX x: Double, y: Double) -> Double {
        let t = min(1, max(0, ((x - x0) * dx + (y - y0) * dy) * inverseSquaredLength))
        let ex = x - (x0 + t * dx), ey = y - (y0 + t * dy)
        return (ex * ex + ey * ey).squareRoot()
    }

    static func pixelBounds(of segments: [Segment], reach: Double) -> PixelRect {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for s in segments {
            minX = min(minX, s.x0, s.x0 + s.dx); maxX = max(maxX, s.x0, s.x0 + s.dx)
            minY = min(minY, s.y0, s.y0 + s.dy); maxY = max(maxY, s.y0, s.y0 + s.dy)
        }
        let left = Int((minX - reach).rounded(.down)), top = Int((minY - reach).rounded(.down))
        return PixelRect(
            x: left, y: top, width: Int((maxX + reach).rounded(.up)) - left,
            height: Int((maxY + reach).rounded(.up)) - top)
    }
}
