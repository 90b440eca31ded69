/// The number of elements in an array of this shape times `itemSize`: its size in bytes, or nil when
/// a dimension is negative or the product overflows (as from a corrupt file's header).
func byteCount(shape: [Int], itemSize: Int) -> Int? {
    var total = itemSize
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        total = product
    }
    return total
}
