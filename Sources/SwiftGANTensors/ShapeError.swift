/// A shape that an operation cannot accept. The description names every shape involved.
///
/// Tensor operations treat a shape mismatch as a programming error, like an index out of range:
/// they stop the program with this description. Code that checks shapes coming from outside
/// (files, user input) calls the throwing checks below instead.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Formats a shape the way the error messages and `Tensor.description` show it: `[64, 784]`.
public func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// NumPy broadcasting: align trailing dimensions; each pair must be equal or contain a 1.
public func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else {
            throw ShapeError(
                "shapes \(describe(a)) and \(describe(b)) cannot be broadcast together (dimension \(i - rank) is \(da) vs \(db))"
            )
        }
        result[i] = da == 1 ? db : da
    }
    return result
}

/// Checks that `inner` dimensions agree for `op(a) · op(b)` and returns `(m, n, k)`.
public func matmulDimensions(
    _ a: [Int], _ b: [Int], transposeA: Bool, transposeB: Bool
) throws -> (m: Int, n: Int, k: Int) {
    guard a.count == 2, b.count == 2 else {
        throw ShapeError("matmul needs two matrices, got \(describe(a)) and \(describe(b))")
    }
    let (m, ka) = transposeA ? (a[1], a[0]) : (a[0], a[1])
    let (kb, n) = transposeB ? (b[1], b[0]) : (b[0], b[1])
    guard ka == kb else {
        throw ShapeError(
            "matmul inner dimensions differ: \(describe(a))\(transposeA ? "ᵀ" : "") · \(describe(b))\(transposeB ? "ᵀ" : "") has \(ka) vs \(kb)"
        )
    }
    return (m, n, ka)
}

/// Resolves one `-1` in a requested shape and checks the element count is unchanged.
public func reshapedDimensions(_ from: [Int], to requested: [Int]) throws -> [Int] {
    let count = from.reduce(1, *)
    let unknown = requested.indices.filter { requested[$0] == -1 }
    guard unknown.count <= 1, requested.allSatisfy({ $0 >= -1 }) else {
        throw ShapeError(
            "cannot reshape \(describe(from)) to \(describe(requested)): at most one -1 and no other negative sizes")
    }
    var result = requested
    if let u = unknown.first {
        let known = requested.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
        guard known > 0, count % known == 0 else {
            throw ShapeError("cannot reshape \(describe(from)) (\(count) elements) to \(describe(requested))")
        }
        result[u] = count / known
    }
    guard result.reduce(1, *) == count else {
        throw ShapeError(
            "cannot reshape \(describe(from)) (\(count) elements) to \(describe(requested)) (\(result.reduce(1, *)) elements)"
        )
    }
    return result
}

/// Turns a possibly negative axis into an index, checking its range.
public func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else { throw ShapeError("axis \(axis) is out of range for a tensor of rank \(rank)") }
    return a
}

/// Stops with the error's message: the behaviour of every tensor operation on a bad shape.
@inline(never)
func shapeFailure(_ error: Error, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError("SwiftGAN shape error: \(error)", file: file, line: line)
}

/// Runs a shape check inside an operation, turning a thrown ``ShapeError`` into a stop with its message.
@inline(__always)
func checked<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { shapeFailure(error) }
}

/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// Swift's `precondition` drops its message in optimized builds, so a user running
/// `swift run -c release` would see only "illegal instruction"; argument checks use this instead.
@inline(__always)
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #file, line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
