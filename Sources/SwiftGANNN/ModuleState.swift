import Foundation
import SwiftGANArtifacts
import SwiftGANTensors

/// A mismatch between saved state and the module it is loaded into.
public struct StateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Module {
    /// Parameters and buffers (running statistics) by dotted name: what a checkpoint holds.
    public var namedState: [(name: String, tensor: Tensor)] { namedParameters + namedBuffers }

    /// Copies saved values into this module's parameters and buffers. Every name must be present
    /// with the same shape, and no extra names may appear: a checkpoint of another architecture
    /// fails here with a message, instead of loading half its weights.
    public func loadState(_ saved: [String: (shape: [Int], values: [Float])]) throws {
        let own = namedState
        let ownNames = Set(own.map(\.name))
        let missing = own.map(\.name).filter { saved[$0] == nil }
        let extra = saved.keys.filter { !ownNames.contains($0) }.sorted()
        guard missing.isEmpty && extra.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty {
                parts.append("missing \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")")
            }
            if !extra.isEmpty {
                parts.append("unexpected \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", …" : "")")
            }
            throw StateError("saved state does not fit this model: " + parts.joined(separator: "; "))
        }
        // Every shape is checked before anything is assigned, so a refused state changes nothing.
        for (name, tensor) in own {
            let value = saved[name]!
            guard value.shape == tensor.shape, value.values.count == tensor.count else {
                throw StateError(
                    "\(name): saved shape \(describe(value.shape)) does not match the model's \(describe(tensor.shape))"
                )
            }
        }
        for (name, tensor) in own {
            saved[name]!.values.withUnsafeBufferPointer {
                tensor.data.update(from: $0.baseAddress!, count: tensor.count)
            }
            tensor.markModified()
        }
    }
}

extension Module {
    /// Writes the parameters and buffers (``namedState``) as a safetensors file, atomically;
    /// `metadata` goes into the file's header. Python's `safetensors` reads it.
    ///
    /// ```swift
    /// try generator.save(to: URL(fileURLWithPath: "g.safetensors"))
    /// try generator.load(from: URL(fileURLWithPath: "g.safetensors"))
    /// ```
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        let tensors = namedState.map { (name: $0.name, shape: $0.tensor.shape, values: $0.tensor.scalars) }
        try AtomicFile.write(try Safetensors.encode(tensors, metadata: metadata), to: url)
    }

    /// Loads a file written by ``save(to:metadata:)`` (or any safetensors file with the same names
    /// and shapes) into this module, and returns its metadata. A file of another architecture is
    /// an error listing the names that differ, and changes nothing.
    @discardableResult
    public func load(from url: URL) throws -> [String: String] {
        let file = try Safetensors.read(from: url)
        do { try loadState(file.tensors) } catch { throw StateError("\(url.path): \(error)") }
        return file.metadata
    }
}
