import Foundation

/// Hugging Face's safetensors files of Float32 tensors: an 8-byte little-endian header length N,
/// N bytes of JSON header, then the tensors' little-endian bytes back to back.
///
/// The header maps each tensor's name to `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}`
/// (offsets into the data that follows the header) and may hold `"__metadata__"`, a string-to-string
/// map. `encode` writes tensors sorted by name, so the same tensors always give the same bytes, and
/// pads the header with spaces to a multiple of 8 bytes. `decode` checks everything a reader relies
/// on: the header length, the JSON, the dtype, and that the tensors' byte ranges match their shapes
/// and tile the data exactly, without gaps or overlaps. Values round-trip bit for bit (NaN
/// payloads, -0, denormals).
///
/// ```swift
/// try Safetensors.write([(name: "dense1.weight", shape: [784, 128], values: w),
///                        (name: "dense1.bias", shape: [128], values: b)],
///                       metadata: ["step": "5000"], to: runFolder.appendingPathComponent("generator.safetensors"))
/// let (tensors, metadata) = try Safetensors.read(from: runFolder.appendingPathComponent("generator.safetensors"))
/// let weight = tensors["dense1.weight"]!          // (shape: [784, 128], values: [...])
/// // python: safetensors.numpy.load_file("generator.safetensors")["dense1.weight"].shape == (784, 128)
/// ```
public enum Safetensors {
    static let metadataKey = "__metadata__"

    public static func encode(
        _ tensors: [(name: String, shape: [Int], values: [Float])],
        metadata: [String: String] = [:]
    ) throws -> Data {
        func invalid(_ reason: String) -> FormatError { FormatError(format: "safetensors", reason: reason) }
        var seen = Set<String>()
        for tensor in tensors {
            guard !tensor.name.isEmpty, tensor.name != metadataKey else {
                throw invalid("invalid tensor name \"\(tensor.name)\"")
            }
            guard seen.insert(tensor.name).inserted else {
                throw invalid("tensor name \"\(tensor.name)\" appears twice")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw invalid("tensor \"\(tensor.name)\" has shape \(tensor.shape) but \(tensor.values.count) values")
            }
        }
        let sorted = tensors.sorted { $0.name < $1.name }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append("\(jsonString(metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in sorted {
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(
                "\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        var header = "{" + entries.joined(separator: ",") + "}"
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)

        var file = Data()
        file.reserveCapacity(8 + header.utf8.count + offset)
        file.appendLittleEndian(UInt64(header.utf8.count))
        file.append(contentsOf: header.utf8)
        for tensor in sorted { file.append(LittleEndian.bytes(of: tensor.values)) }
        return file
    }

    /// Encodes the tensors (see `encode`) and writes the file atomically.
    public static func write(
        _ tensors: [(name: String, shape: [Int], values: [Float])],
        metadata: [String: String] = [:], to url: URL
    ) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }

    public static func decode(
        _ data: Data
    ) throws
        -> (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String])
    {
        func invalid(_ reason: String) -> FormatError { FormatError(format: "safetensors", reason: reason) }
        guard data.count >= 8 else {
            throw invalid("the file has \(data.count) bytes, fewer than the 8-byte header length")
        }
        let declared = data.readLittleEndian(UInt64.self, at: 0)
        guard declared <= UInt64(data.count - 8) else {
            throw invalid("header length \(declared) runs past the end of the \(data.count)-byte file (truncated?)")
        }
        let headerEnd = data.startIndex + 8 + Int(declared)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data.subdata(in: (data.startIndex + 8)..<headerEnd))
        } catch {
            throw invalid("header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = parsed as? [String: Any] else { throw invalid("header is not a JSON object") }
        let buffer = data.subdata(in: headerEnd..<data.endIndex)

        var metadata: [String: String] = [:]
        if let raw = header[metadataKey] {
            guard let strings = raw as? [String: String] else {
                throw invalid("__metadata__ is not a map of strings to strings")
            }
            metadata = strings
        }
        var placed: [(name: String, shape: [Int], range: Range<Int>)] = []
        for (name, raw) in header where name != metadataKey {
            guard let entry = raw as? [String: Any] else {
                throw invalid("tensor \"\(name)\": entry is not a JSON object")
            }
            guard let dtype = entry["dtype"] as? String else { throw invalid("tensor \"\(name)\": no dtype") }
            guard dtype == "F32" else { throw invalid("tensor \"\(name)\" has dtype \(dtype); only F32 is supported") }
            guard let shape = (entry["shape"] as? [Any])?.map(nonNegativeInteger), !shape.contains(nil) else {
                throw invalid("tensor \"\(name)\": shape is not a list of non-negative integers")
            }
            guard let offsets = (entry["data_offsets"] as? [Any])?.compactMap(nonNegativeInteger), offsets.count == 2,
                offsets[0] <= offsets[1]
            else {
                throw invalid("tensor \"\(name)\": data_offsets is not [begin, end] with begin ≤ end")
            }
            guard offsets[1] <= buffer.count else {
                throw invalid(
                    "tensor \"\(name)\": data_offsets [\(offsets[0]), \(offsets[1])] run past the \(buffer.count)-byte data (truncated?)"
                )
            }
            let dimensions = shape.map { $0! }
            let size = byteCount(shape: dimensions, itemSize: 4)
            guard offsets[1] - offsets[0] == size else {
                throw invalid(
                    "tensor \"\(name)\": shape \(dimensions) needs \(size.map(String.init) ?? "too many") bytes but data_offsets span \(offsets[1] - offsets[0])"
                )
            }
            placed.append((name, dimensions, offsets[0]..<offsets[1]))
        }

        // The byte ranges must tile the data buffer: no gaps, no overlaps, nothing left over.
        placed.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var covered = 0
        for tensor in placed {
            guard tensor.range.lowerBound == covered else {
                throw invalid(
                    tensor.range.lowerBound < covered
                        ? "tensor \"\(tensor.name)\"'s data [\(tensor.range.lowerBound), \(tensor.range.upperBound)) overlaps the tensor before it"
                        : "gap in the data before tensor \"\(tensor.name)\" (bytes \(covered)..<\(tensor.range.lowerBound) belong to no tensor)"
                )
            }
            covered = tensor.range.upperBound
        }
        guard covered == buffer.count else {
            throw invalid("the tensors cover \(covered) bytes of data but the file holds \(buffer.count)")
        }

        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for tensor in placed {
            let bytes = buffer.subdata(
                in: (buffer.startIndex + tensor.range.lowerBound)..<(buffer.startIndex + tensor.range.upperBound))
            tensors[tensor.name] = (tensor.shape, LittleEndian.floats(from: bytes))
        }
        return (tensors, metadata)
    }

    /// The largest safetensors file read: the largest zoo model's training state is under 100 MB.
    public static let maximumFileSize = 2 << 30

    /// Reads and decodes a safetensors file; errors name the file.
    public static func read(
        from url: URL, links: InputFile.Links = .follow
    ) throws
        -> (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String])
    {
        let data = try InputFile.read(url, format: "safetensors", limit: maximumFileSize, links: links)
        do { return try decode(data) } catch let error as FormatError { throw error.naming(url) }
    }

    private static func nonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? Int, number >= 0 else { return nil }
        return number
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
