import Foundation

/// NumPy's `.npy` array files, version 1.0, as `numpy.save` writes them: the magic `\x93NUMPY`,
/// the version, a little-endian UInt16 header length, a Python-literal header
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (64, 28, 28), }` padded with spaces and a
/// final newline so the data starts at a multiple of 64 bytes, then the C-order little-endian data.
///
/// ```swift
/// let data = NPY.encode(float32: samples, shape: [64, 28, 28])
/// try NPY.write(float32: samples, shape: [64, 28, 28], to: runFolder.appendingPathComponent("samples.npy"))
/// // python: numpy.load("samples.npy").shape == (64, 28, 28)
/// let (descr, shape, payload) = try NPY.decode(data)   // "<f4", [64, 28, 28], 200_704 bytes
/// ```
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    static let alignment = 64

    public static func encode(uint8 values: [UInt8], shape: [Int]) -> Data {
        encode(descr: "|u1", shape: shape, count: values.count, payload: Data(values))
    }

    public static func encode(float32 values: [Float], shape: [Int]) -> Data {
        encode(descr: "<f4", shape: shape, count: values.count, payload: LittleEndian.bytes(of: values))
    }

    public static func encode(int64 values: [Int64], shape: [Int]) -> Data {
        encode(descr: "<i8", shape: shape, count: values.count, payload: LittleEndian.bytes(of: values))
    }

    public static func write(uint8 values: [UInt8], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(uint8: values, shape: shape), to: url)
    }

    public static func write(float32 values: [Float], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(float32: values, shape: shape), to: url)
    }

    public static func write(int64 values: [Int64], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(int64: values, shape: shape), to: url)
    }

    private static func encode(descr: String, shape: [Int], count: Int, payload: Data) -> Data {
        precondition(
            shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count,
            "shape \(shape) does not hold \(count) values")
        var file = header(descr: descr, shape: shape)
        file.append(payload)
        return file
    }

    /// The bytes before the data of an array of `descr` ("|u1", "<f4", "<i8") and `shape`: a
    /// writer that makes a large array in parts appends them to this, in C order, little-endian
    /// (``appendPayload(float32:to:)``), instead of holding the values twice.
    public static func header(descr: String, shape: [Int]) -> Data {
        // Python writes a one-element tuple as "(n,)".
        let dimensions =
            shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dimensions), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1  // magic, version, length, header, newline
        header += String(repeating: " ", count: (alignment - unpadded % alignment) % alignment) + "\n"
        var file = Data(magic)
        file.append(contentsOf: [1, 0])
        file.appendLittleEndian(UInt16(header.utf8.count))
        file.append(contentsOf: header.utf8)
        return file
    }

    /// Float32 values appended to a file begun with ``header(descr:shape:)``.
    public static func appendPayload(float32 values: [Float], to file: inout Data) {
        file.append(LittleEndian.bytes(of: values))
    }

    /// The array in an `.npy` file: its dtype string (`"<f4"`), shape and raw C-order data.
    /// Reads versions 1.0 and 2.0 (which differ only in the header length's size); throws a
    /// `FormatError` for a wrong magic string, another version, a header it cannot parse,
    /// Fortran order, or data of the wrong size for the shape and dtype.
    public static func decode(_ data: Data) throws -> (descr: String, shape: [Int], payload: Data) {
        func invalid(_ reason: String) -> FormatError { FormatError(format: "NPY", reason: reason) }
        guard data.count >= magic.count + 2, Array(data.prefix(magic.count)) == magic else {
            throw invalid("bad magic: the file does not start with \\x93NUMPY")
        }
        let major = data[data.startIndex + 6], minor = data[data.startIndex + 7]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2: lengthSize = 4
        default: throw invalid("unsupported version \(major).\(minor) (1.0 and 2.0 are supported)")
        }
        let headerStart = magic.count + 2 + lengthSize
        guard data.count >= headerStart else { throw invalid("file ends inside the header length") }
        let headerLength =
            lengthSize == 2
            ? Int(data.readLittleEndian(UInt16.self, at: 8))
            : Int(data.readLittleEndian(UInt32.self, at: 8))
        guard headerLength <= data.count - headerStart else {
            throw invalid("header length \(headerLength) runs past the end of the \(data.count)-byte file")
        }
        let headerBytes = data.subdata(
            in: (data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength))
        guard let header = String(data: headerBytes, encoding: .utf8) ?? String(data: headerBytes, encoding: .isoLatin1)
        else {
            throw invalid("header is not text")
        }
        let (descr, fortranOrder, shape) = try parseHeader(header)
        guard !fortranOrder else { throw invalid("Fortran-order arrays are not supported") }
        let itemSize = try self.itemSize(of: descr)
        let expectedSize = byteCount(shape: shape, itemSize: itemSize)
        let payload = data.subdata(in: (data.startIndex + headerStart + headerLength)..<data.endIndex)
        guard let expectedSize, payload.count == expectedSize else {
            throw invalid(
                "wrong payload size: shape \(shape) of \(descr) needs \(expectedSize.map(String.init) ?? "too many") bytes, the file has \(payload.count)"
            )
        }
        return (descr, shape, payload)
    }

    /// A `<f4` payload's values.
    public static func float32Values(_ payload: Data) -> [Float] { LittleEndian.floats(from: payload) }

    /// The largest `.npy` file read: 2 GiB is 680,000 images of 28×28 as float32.
    public static let maximumFileSize = 2 << 30

    /// Reads and decodes an `.npy` file; errors name the file.
    public static func read(
        from url: URL, links: InputFile.Links = .follow
    ) throws -> (descr: String, shape: [Int], payload: Data) {
        let data = try InputFile.read(url, format: "NPY", limit: maximumFileSize, links: links)
        do { return try decode(data) } catch let error as FormatError { throw error.naming(url) }
    }

    /// The three entries of the header's Python dict literal. numpy writes them in this form; the
    /// parser accepts any order, either quote, and extra spaces.
    private static func parseHeader(_ header: String) throws -> (descr: String, fortranOrder: Bool, shape: [Int]) {
        func malformed(_ what: String) -> FormatError {
            FormatError(
                format: "NPY",
                reason:
                    "malformed header (\(what)): \(FormatError.printable(header.trimmingCharacters(in: .whitespacesAndNewlines)))"
            )
        }
        let text = header.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("{"), text.hasSuffix("}") else { throw malformed("not a dict") }
        func value(of key: String) throws -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\""),
                let colon = text[keyRange.upperBound...].firstIndex(of: ":")
            else { throw malformed("no '\(key)'") }
            let rest = text[text.index(after: colon)...].drop { $0 == " " }
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { throw malformed("unclosed shape tuple") }
                return rest[rest.index(after: rest.startIndex)..<close]
            }
            if let quote = rest.first, quote == "'" || quote == "\"" {
                let body = rest.dropFirst()
                guard let end = body.firstIndex(of: quote) else { throw malformed("unclosed string for '\(key)'") }
                return body[..<end]
            }
            return rest.prefix { $0 != "," && $0 != "}" }.trimmingCharacters(in: .whitespaces)[...]
        }
        let descr = String(try value(of: "descr"))
        let fortran = try value(of: "fortran_order")
        guard fortran == "True" || fortran == "False" else { throw malformed("fortran_order is \(fortran)") }
        let dimensions = try value(of: "shape").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let shape = try dimensions.map { dimension -> Int in
            guard let n = Int(dimension), n >= 0 else { throw malformed("shape entry \(dimension)") }
            return n
        }
        return (descr, fortran == "True", shape)
    }

    /// Bytes per element for the simple dtypes: a byte-order mark, a kind letter, a size ("<f4").
    private static func itemSize(of descr: String) throws -> Int {
        guard descr.count >= 3, "<>|=".contains(descr.first!), let size = Int(descr.dropFirst(2)), size > 0 else {
            throw FormatError(format: "NPY", reason: "unsupported dtype \(descr)")
        }
        switch descr[descr.index(after: descr.startIndex)] {
        case "b", "i", "u", "f", "c", "S", "V": return size
        case "U": return size * 4  // UCS-4 characters
        default: throw FormatError(format: "NPY", reason: "unsupported dtype \(descr)")
        }
    }
}
