/// Whether operations record themselves for differentiation.
///
/// Recording is on by default. ``withoutGrad(_:)`` turns it off for a scope (sampling, metrics,
/// optimizer updates). The gradient computation turns it on or off for the backward pass
/// depending on `createGraph`. The flag is per process: build graphs from one thread at a time.
public enum GradMode {
    nonisolated(unsafe) public private(set) static var isEnabled = true

    /// Runs `body` with recording set to `enabled`, restoring the previous setting afterwards.
    public static func with<T>(enabled: Bool, _ body: () throws -> T) rethrows -> T {
        let saved = isEnabled
        isEnabled = enabled
        defer { isEnabled = saved }
        return try body()
    }
}

/// Runs `body` without recording operations: nothing computed inside has a gradient.
public func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.with(enabled: false, body)
}

/// The record of one operation: its inputs and how to turn the gradient of its output into
/// gradients of its inputs.
///
/// `backward` receives the output's gradient and, per input, whether that input's gradient is
/// wanted; it returns one gradient per input (nil where not wanted). It is written with tensor
/// operations, so when the backward pass itself is recorded (`createGraph: true`), its result can
/// be differentiated again.
final class GradNode {
    let name: String
    let inputs: [Tensor]
    /// The inputs' storage versions when the operation ran.
    let versions: [Int]
    let backward: (_ gradient: Tensor, _ wanted: [Bool]) -> [Tensor?]

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor, [Bool]) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.versions = inputs.map { $0.storage.version }
        self.backward = backward
    }

    /// Stops if an input changed in place since the operation read it: its gradient would be
    /// computed from values that did not produce the output (PyTorch raises the same error).
    func checkInputsUnchanged() {
        for (input, version) in zip(inputs, versions) where input.storage.version != version {
            fatalError(
                "SwiftGAN: an input of '\(name)' (shape \(describe(input.shape))) was modified in place after it was used, "
                    + "e.g. by an optimizer step between the forward pass and gradients(of:). Compute gradients before updating."
            )
        }
    }
}

extension Tensor {
    /// Whether gradients can flow into this tensor: a marked leaf or the output of a recorded op.
    var isDifferentiable: Bool { requiresGrad || gradNode != nil }

    /// Makes `output` a differentiable operation of `inputs`: attaches `backward` to it when
    /// recording is on and some input is differentiable, and returns it. Every differentiable
    /// operation of the engine ends with this call, its backward rule written right there; an op
    /// of your own is written the same way.
    ///
    /// `backward` receives the gradient of the output and, per input, whether that input's
    /// gradient is wanted; it returns one gradient per input, of the input's shape (nil where not
    /// wanted). Write it with tensor operations and it is differentiable again: gradients of
    /// gradients (`createGraph: true`, gradient penalties) then work through your op. Where
    /// ``GradMode/isEnabled`` is false inside `backward` (an ordinary first-order backward pass),
    /// a raw loop over ``data`` is fine and faster. Capture the inputs, not `output`: a closure
    /// holding its own output keeps it alive forever.
    ///
    /// ```swift
    /// /// softplus(x) = log(1 + eˣ), computed stably; its derivative is σ(x).
    /// func softplus(_ x: Tensor) -> Tensor {
    ///     let y = Tensor(uninitialized: x.shape)
    ///     for i in 0..<x.count { let v = x.data[i]; y.data[i] = max(v, 0) + log1p(exp(-abs(v))) }
    ///     return Tensor.record("softplus", y, [x]) { g, _ in [g * x.sigmoid()] }
    /// }
    /// ```
    @inline(__always)
    public static func record(
        _ name: String, _ output: Tensor, _ inputs: [Tensor],
        backward: @escaping (Tensor, [Bool]) -> [Tensor?]
    ) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.isDifferentiable }) {
            output.gradNode = GradNode(name: name, inputs: inputs, backward: backward)
        }
        return output
    }

    /// The name of the operation that produced this tensor, or nil for a leaf.
    public var operationName: String? { gradNode?.name }
}

/// The gradients of a scalar `output` with respect to each of `targets` (reverse mode).
///
/// Only the part of the graph between `targets` and `output` is walked, and an operation computes
/// only the input gradients some target depends on: differentiating the generator's loss with
/// respect to the generator's parameters never computes the discriminator's weight gradients.
/// A target that `output` does not depend on gets zeros (also when nothing was recorded at all,
/// e.g. a second derivative that is identically zero). A tensor used several times receives
/// the sum of its gradients. Treat the returned tensors as read-only: two of them may share
/// storage (the gradients of `a` and `b` in `a + b` are the same tensor).
///
/// - Parameters:
///   - output: a tensor with one element (a loss), or any tensor when `seed` is given.
///   - seed: the gradient of the output (default: ones of its shape, which needs one element).
///   - createGraph: record the backward pass so the returned gradients can be differentiated
///     again (gradient penalties such as WGAN-GP and R1).
///
/// ```swift
/// let grads = gradients(of: loss, withRespectTo: generator.parameters)
/// optimizer.step(grads)
/// ```
public func gradients(
    of output: Tensor, withRespectTo targets: [Tensor],
    seed: Tensor? = nil, createGraph: Bool = false
) -> [Tensor] {
    if seed == nil {
        require(
            output.count == 1,
            "SwiftGAN: gradients(of:) needs a one-element output or an explicit seed; got shape \(describe(output.shape))"
        )
    } else {
        require(
            seed!.shape == output.shape,
            "SwiftGAN shape error: seed \(describe(seed!.shape)) does not match output \(describe(output.shape))")
    }

    // Topological order (inputs before the ops that use them) by iterative depth-first search.
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(output, false)]
    while let (t, expanded) = stack.popLast() {
        if expanded { order.append(t); continue }
        guard visited.insert(ObjectIdentifier(t)).inserted else { continue }
        stack.append((t, true))
        for input in t.gradNode?.inputs ?? [] where !visited.contains(ObjectIdentifier(input)) {
            stack.append((input, false))
        }
    }

    // A tensor is on a gradient path when it is a target or depends on one.
    let targetIDs = Set(targets.map(ObjectIdentifier.init))
    var onPath = Set<ObjectIdentifier>()
    for t in order {
        let id = ObjectIdentifier(t)
        if targetIDs.contains(id) || (t.gradNode?.inputs.contains { onPath.contains(ObjectIdentifier($0)) } ?? false) {
            onPath.insert(id)
        }
    }

    var grads: [ObjectIdentifier: Tensor] = [:]
    grads[ObjectIdentifier(output)] = seed ?? Tensor.ones(output.shape)
    GradMode.with(enabled: createGraph) {
        for t in order.reversed() {
            guard let node = t.gradNode, let g = grads[ObjectIdentifier(t)] else { continue }
            let wanted = node.inputs.map { onPath.contains(ObjectIdentifier($0)) }
            guard wanted.contains(true) else { continue }
            node.checkInputsUnchanged()
            let inputGrads = node.backward(g, wanted)
            require(
                inputGrads.count == node.inputs.count,
                "SwiftGAN: the backward rule of '\(node.name)' returned \(inputGrads.count) gradients for \(node.inputs.count) inputs"
            )
            for (i, input) in node.inputs.enumerated() where wanted[i] {
                guard let gi = inputGrads[i] else { continue }
                require(
                    gi.shape == input.shape,
                    "SwiftGAN internal error: \(node.name) returned gradient \(describe(gi.shape)) for input \(describe(input.shape))"
                )
                let id = ObjectIdentifier(input)
                grads[id] = grads[id].map { $0 + gi } ?? gi
            }
            // Free intermediate gradients as soon as they are used, unless asked for.
            if !targetIDs.contains(ObjectIdentifier(t)) { grads[ObjectIdentifier(t)] = nil }
        }
    }
    return targets.map { grads[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape) }
}
