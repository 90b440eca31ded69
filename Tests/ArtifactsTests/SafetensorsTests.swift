import Foundation
import SwiftGANArtifacts
import XCTest

final class SafetensorsTests: XCTestCase {
    let awkwardValues: [Float] = [
        -0.0, 0, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNormalMagnitude / 3,
        Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0xFFC1_2345), Float(bitPattern: 0x7F80_0001), 1.0 / 3,
    ]

    func tensors() -> [(name: String, shape: [Int], values: [Float])] {
        [
            (name: "z.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
            (name: "a.bias", shape: [11], values: awkwardValues),
            (name: "m.scalar", shape: [], values: [7]),
            (name: "m.empty", shape: [0, 4], values: []),
        ]
    }

    /// The JSON header and the data after it, split here without the library.
    func parts(of file: Data) -> (header: String, data: Data) {
        let length = Int(file.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
        return (String(decoding: file[8..<8 + length], as: UTF8.self), file.subdata(in: 8 + length..<file.count))
    }

    func testRoundTripIsBitExact() throws {
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t é ✓", "step": "5000"]
        let file = try Safetensors.encode(tensors(), metadata: metadata)
        let decoded = try Safetensors.decode(file)
        XCTAssertEqual(decoded.metadata, metadata)
        XCTAssertEqual(Set(decoded.tensors.keys), Set(tensors().map(\.name)))
        for tensor in tensors() {
            let read = try XCTUnwrap(decoded.tensors[tensor.name])
            XCTAssertEqual(read.shape, tensor.shape, tensor.name)
            XCTAssertEqual(read.values.map(\.bitPattern), tensor.values.map(\.bitPattern), tensor.name)
        }
    }

    func testLayoutIsSortedContiguousAndPadded() throws {
        let file = try Safetensors.encode(tensors(), metadata: ["k": "v"])
        let (header, data) = parts(of: file)
        XCTAssertEqual(header.utf8.count % 8, 0)
        XCTAssertTrue(
            header.hasPrefix(
                "{\"__metadata__\":{\"k\":\"v\"},\"a.bias\":{\"dtype\":\"F32\",\"shape\":[11],\"data_offsets\":[0,44]}"),
            header)
        XCTAssertTrue(header.contains("\"m.empty\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[44,44]}"))
        XCTAssertTrue(header.contains("\"m.scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[44,48]}"))
        XCTAssertTrue(header.contains("\"z.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[48,72]}"))
        XCTAssertEqual(data.count, 72)
        XCTAssertEqual(Array(data[48..<52]), [0, 0, 0x80, 0x3F], "1.0, little-endian")
        XCTAssertEqual(
            try Safetensors.encode(tensors().reversed(), metadata: ["k": "v"]), file,
            "order of the input does not matter")
        XCTAssertFalse(parts(of: try Safetensors.encode(tensors())).header.contains("__metadata__"))
    }

    func testEncodeRejectsBadTensors() {
        XCTAssertTrue(
            thrownMessage {
                _ = try Safetensors.encode([(name: "w", shape: [1], values: [1]), (name: "w", shape: [1], values: [1])])
            }
            .contains("\"w\" appears twice"))
        XCTAssertTrue(
            thrownMessage { _ = try Safetensors.encode([(name: "w", shape: [2, 2], values: [1, 2, 3])]) }
                .contains("shape [2, 2] but 3 values"))
        XCTAssertTrue(
            thrownMessage { _ = try Safetensors.encode([(name: "__metadata__", shape: [1], values: [1])]) }
                .contains("invalid tensor name"))
    }

    func testDecodeRejectsTruncatedAndCorruptFiles() throws {
        let file = try Safetensors.encode(tensors(), metadata: ["k": "v"])
        let (header, data) = parts(of: file)
        func withHeader(_ json: String, data: Data = Data(count: 8)) -> Data {
            var file = Data()
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { file.append(contentsOf: $0) }
            return file + Data(json.utf8) + data
        }
        func rejection(_ file: Data) -> String { thrownMessage { _ = try Safetensors.decode(file) } }

        XCTAssertTrue(rejection(file.dropLast(1)).contains("run past"), rejection(file.dropLast(1)))
        XCTAssertTrue(rejection(file + Data([0])).contains("cover 72 bytes of data but the file holds 73"))
        XCTAssertTrue(rejection(file.prefix(40)).contains("runs past the end"))
        XCTAssertTrue(rejection(file.prefix(5)).contains("fewer than the 8-byte header length"))
        XCTAssertTrue(rejection(withHeader("{\"w\": {\"dtype\": \"F32\", ", data: data)).contains("not valid JSON"))
        XCTAssertTrue(
            rejection(withHeader(header.replacingOccurrences(of: "{\"__", with: "[\"__"), data: data)).contains("JSON"))
        XCTAssertTrue(rejection(withHeader("[1, 2]")).contains("not a JSON object"))
        XCTAssertTrue(
            rejection(withHeader("{\"w\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [0, 8]}}"))
                .contains("tensor \"w\" has dtype F16; only F32 is supported"))
        XCTAssertTrue(
            rejection(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 16]}}"))
                .contains("run past the 8-byte data"))
        XCTAssertTrue(
            rejection(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}"))
                .contains("shape [3] needs 12 bytes but data_offsets span 8"))
        XCTAssertTrue(
            rejection(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 8]}}"))
                .contains("shape is not a list of non-negative integers"))
        XCTAssertTrue(
            rejection(
                withHeader(
                    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
                        + "\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}")
            )
            .contains("overlaps"))
        XCTAssertTrue(
            rejection(withHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}"))
                .contains("gap in the data before tensor \"a\""))
        XCTAssertTrue(rejection(withHeader("{\"__metadata__\": {\"k\": 1}}", data: Data())).contains("__metadata__"))
        XCTAssertTrue(
            rejection(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}"))
                .contains("begin ≤ end"))
    }

    func testReadErrorsNameTheFile() throws {
        let folder = try makeTemporaryFolder(for: self)
        let missing = folder.appendingPathComponent("missing.safetensors")
        XCTAssertTrue(thrownMessage { _ = try Safetensors.read(from: missing) }.contains(missing.path))
        let corrupt = folder.appendingPathComponent("corrupt.safetensors")
        try AtomicFile.write(Data([1, 0, 0, 0, 0, 0, 0, 0, 0x7B]), to: corrupt)
        let message = thrownMessage { _ = try Safetensors.read(from: corrupt) }
        XCTAssertTrue(message.hasPrefix("safetensors file \(corrupt.path): header is not valid JSON"), message)
    }

    func testPlainPythonParsesTheFile() throws {
        let url = try makeTemporaryFolder(for: self).appendingPathComponent("model.safetensors")
        try Safetensors.write(tensors(), metadata: ["step": "12"], to: url)
        let output = try runPython(
            """
            import json, struct, sys
            raw = open(sys.argv[1], "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            assert n % 8 == 0
            header = json.loads(raw[8:8 + n])
            data = raw[8 + n:]
            assert header.pop("__metadata__") == {"step": "12"}
            for name in sorted(header):
                entry = header[name]
                begin, end = entry["data_offsets"]
                bits = struct.unpack("<%dI" % ((end - begin) // 4), data[begin:end])
                print(name, entry["dtype"], entry["shape"], " ".join("%08x" % b for b in bits))
            """, arguments: [url.path])
        let expected = tensors().sorted { $0.name < $1.name }.map { tensor in
            "\(tensor.name) F32 \(tensor.shape) "
                + tensor.values.map { String(format: "%08x", $0.bitPattern) }.joined(separator: " ")
        }
        XCTAssertEqual(
            output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) },
            expected.map { $0.trimmingCharacters(in: .whitespaces) })
    }
}
