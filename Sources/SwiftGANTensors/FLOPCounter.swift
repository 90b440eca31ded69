/// Counts the floating-point operations of the engine's products (matrix products and
/// convolutions, 2 per multiply-add, padding taps included as frameworks count them), so a
/// benchmark can report GFLOP/s from the work the layers' shapes imply rather than assert it.
/// Elementwise work is not counted: it is memory-bound and small next to the products.
///
/// Counting happens on the thread that builds the graph (products are issued from there), so a
/// plain integer suffices; read it from that thread.
public enum FLOPCounter {
    nonisolated(unsafe) public private(set) static var operations = 0

    @inline(__always)
    static func addMultiplyAdds(_ count: Int) { operations &+= 2 &* count }

    /// Operations counted while `body` ran.
    public static func counting(_ body: () throws -> Void) rethrows -> Int {
        let start = operations
        try body()
        return operations &- start
    }
}
