import Foundation
import SwiftGANArtifacts
import SwiftGANTensors

/// A mismatch between saved state and the module it is loaded into.
public struct StateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The most mismatched tensors a refused `loadState` lists (a file may hold any number).
private let maximumMismatchesShown = 64

extension Module {
    /// Parameters and buffers (running statistics) by dotted name: what a checkpoint holds.
    public var namedState: [(name: String, tensor: Tensor)] { namedParameters + namedBuffers }

    /// Copies saved values into this module's parameters and buffers. Every name must be present
    /// with the same shape, and no extra names may appear: a checkpoint of another architecture
    /// fails here with a message listing every tensor that differs (``stateMismatches(_:)``),
    /// instead of loading half its weights. A refused state changes nothing.
    public func loadState(_ saved: [String: (shape: [Int], values: [Float])]) throws {
        // Every name and shape is checked before anything is assigned.
        let mismatches = stateMismatches(saved)
        guard mismatches.isEmpty else {
            let shown = mismatches.prefix(maximumMismatchesShown)
            let more = mismatches.count - shown.count
            throw StateError(
                "saved state does not fit this model (\(mismatches.count) difference\(mismatches.count == 1 ? "" : "s")):\n  "
                    + shown.joined(separator: "\n  ") + (more > 0 ? "\n  … and \(more) more" : ""))
        }
        for (name, tensor) in namedState {
            saved[name]!.values.withUnsafeBufferPointer {
                tensor.data.update(from: $0.baseAddress!, count: tensor.count)
            }
            tensor.markModified()
        }
    }

    /// What keeps `saved` from loading into this module, one line per tensor in the module's
    /// order, then the unexpected ones by name: `missing NAME (the model's is [shape])`,
    /// `NAME: saved shape [a] does not match the model's [b]`, `unexpected NAME (saved shape [a])`.
    /// Empty when ``loadState(_:)`` would load it.
    ///
    /// ```swift
    /// for line in generator.stateMismatches(try Safetensors.read(from: url).tensors) { print(line) }
    /// ```
    public func stateMismatches(_ saved: [String: (shape: [Int], values: [Float])]) -> [String] {
        let own = namedState
        let ownNames = Set(own.map(\.name))
        var lines: [String] = []
        for (name, tensor) in own {
            guard let value = saved[name] else {
                lines.append("missing \(name) (the model's is \(describe(tensor.shape)))")
                continue
            }
            if value.shape != tensor.shape || value.values.count != tensor.count {
                lines.append(
                    "\(name): saved shape \(describe(value.shape)) does not match the model's \(describe(tensor.shape))"
                )
            }
        }
        // Names read from a file: shown printable and cut short.
        for name in saved.keys.filter({ !ownNames.contains($0) }).sorted() {
            lines.append(
                "unexpected \(FormatError.printable(name, limit: 80)) (saved shape \(describe(saved[name]!.shape)))")
        }
        return lines
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
