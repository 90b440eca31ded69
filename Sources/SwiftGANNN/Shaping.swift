import SwiftGANTensors

/// [batch, d1, d2, …] → [batch, d1·d2·…].
public final class Flatten: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flattenedBatch() }
}

/// Reshapes each example: [batch, …] → [batch] + `shape` (as Keras's `Reshape(target_shape)`).
public final class Reshape: UnaryLayer {
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.reshaped([x.shape[0]] + shape) }
}

/// Joins several inputs along an axis (default: the last), as Keras's `Concatenate`: e.g. noise
/// and a one-hot label entering a conditional generator.
///
/// ```swift
/// let joined = Concatenate()([noise, oneHotLabels])   // [b, 100] ++ [b, 10] → [b, 110]
/// ```
public struct Concatenate {
    public let axis: Int
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ inputs: [Tensor]) -> Tensor { Tensor.concatenate(inputs, alongAxis: axis) }
}
