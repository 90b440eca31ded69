// PNG's five per-row filters (ISO/IEC 15948 §9): each byte is stored as its difference from a
// prediction made from the byte to its left (a), the byte above (b) and the byte above-left (c),
// all taken one pixel back (`bytesPerPixel`) and zero outside the image.
enum PNGFilter: UInt8, CaseIterable {
    case none = 0, sub, up, average, paeth

    @inline(__always)
    private func prediction(a: UInt8, b: UInt8, c: UInt8) -> UInt8 {
        switch self {
        case .none: return 0
        case .sub: return a
        case .up: return b
        case .average: return UInt8((UInt16(a) + UInt16(b)) / 2)
        case .paeth:
            let p = Int(a) + Int(b) - Int(c)
            let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
            if pa <= pb && pa <= pc { return a }
            return pb <= pc ? b : c
        }
    }

    /// Writes the filtered `row` to `output`; `previous` is the unfiltered row above (zeros for the first).
    func apply(
        row: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int, bytesPerPixel: Int,
        into output: UnsafeMutablePointer<UInt8>
    ) {
        for i in 0..<count {
            let a = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0
            let c = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0
            output[i] = row[i] &- prediction(a: a, b: previous[i], c: c)
        }
    }

    /// Rebuilds a row in place from its filtered bytes; `previous` is the rebuilt row above.
    func undo(row: UnsafeMutablePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int, bytesPerPixel: Int) {
        for i in 0..<count {
            let a = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0
            let c = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0
            row[i] = row[i] &+ prediction(a: a, b: previous[i], c: c)
        }
    }
}
