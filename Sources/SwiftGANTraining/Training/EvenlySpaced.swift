extension RandomAccessCollection where Index == Int {
    /// At most `limit` of the elements, evenly spaced, the first and the last always among them
    /// (only the last when `limit` is 1): the frames of `training.gif`, the grids of the report,
    /// the points of a chart. Element `i` of the result is the one at offset
    /// `i * (count - 1) / (limit - 1)`, so the choice depends on the count alone.
    func evenlySpaced(atMost limit: Int) -> [Element] {
        guard count > limit else { return Array(self) }
        guard limit > 1 else { return limit == 1 ? [self[endIndex - 1]] : [] }
        return (0..<limit).map { self[startIndex + $0 * (count - 1) / (limit - 1)] }
    }
}
