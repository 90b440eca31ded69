import Foundation
import SwiftGANArtifacts
import XCTest

final class NPYTests: XCTestCase {
    func header(of file: Data) -> String {
        let length = Int(file[8]) | Int(file[9]) << 8
        return String(decoding: file[10..<10 + length], as: UTF8.self)
    }

    func testHeaderLayoutMatchesNumPy() {
        let file = NPY.encode(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(Array(file[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let text = header(of: file)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), text)
        XCTAssertTrue(text.hasSuffix(" \n"))
        XCTAssertEqual(
            text.trimmingCharacters(in: .whitespacesAndNewlines),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
        XCTAssertEqual((10 + text.utf8.count) % 64, 0)
        XCTAssertEqual(file.count, 10 + text.utf8.count + 24)
        XCTAssertEqual(Array(file.suffix(4)), [0x00, 0x00, 0xC0, 0x40], "6.0 as little-endian float32")

        XCTAssertTrue(
            header(of: NPY.encode(uint8: [1, 2, 3], shape: [3])).contains(
                "'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"))
        XCTAssertTrue(
            header(of: NPY.encode(int64: [7], shape: [])).contains(
                "'descr': '<i8', 'fortran_order': False, 'shape': (), }"))
        XCTAssertEqual(
            Array(NPY.encode(int64: [-2], shape: []).suffix(8)), [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    func testRoundTrip() throws {
        let floats = NPY.encode(float32: [-0.0, .nan, 1.5], shape: [3, 1])
        let decoded = try NPY.decode(floats)
        XCTAssertEqual(decoded.descr, "<f4")
        XCTAssertEqual(decoded.shape, [3, 1])
        XCTAssertEqual(Array(decoded.payload), [0, 0, 0, 0x80, 0, 0, 0xC0, 0x7F, 0, 0, 0xC0, 0x3F])
        let bytes = try NPY.decode(NPY.encode(uint8: Array(0..<24), shape: [2, 3, 4]))
        XCTAssertEqual([bytes.descr], ["|u1"])
        XCTAssertEqual(bytes.shape, [2, 3, 4])
        XCTAssertEqual(Array(bytes.payload), Array(0..<24))
        let empty = try NPY.decode(NPY.encode(int64: [], shape: [0, 5]))
        XCTAssertEqual(empty.shape, [0, 5])
        XCTAssertTrue(empty.payload.isEmpty)
    }

    func testDecodeRejectsBadFiles() {
        let valid = NPY.encode(float32: [1, 2], shape: [2])
        var badMagic = valid
        badMagic[1] = UInt8(ascii: "X")
        XCTAssertTrue(thrownMessage { _ = try NPY.decode(badMagic) }.contains("bad magic"))
        var version = valid
        version[6] = 3
        XCTAssertTrue(thrownMessage { _ = try NPY.decode(version) }.contains("unsupported version 3.0"))
        XCTAssertTrue(thrownMessage { _ = try NPY.decode(valid.dropLast(1)) }.contains("wrong payload size"))
        XCTAssertTrue(thrownMessage { _ = try NPY.decode(valid + Data([0])) }.contains("wrong payload size"))
        XCTAssertTrue(thrownMessage { _ = try NPY.decode(valid.prefix(20)) }.contains("header length"))

        func withHeader(_ text: String) -> Data {
            var file = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count), 0])
            file.append(contentsOf: text.utf8)
            return file + Data(count: 8)
        }
        XCTAssertTrue(
            thrownMessage { _ = try NPY.decode(withHeader("{'descr': '<f4', 'shape': (2,), }\n")) }.contains(
                "malformed header"))
        XCTAssertTrue(thrownMessage { _ = try NPY.decode(withHeader("[1, 2]\n")) }.contains("malformed header"))
        XCTAssertTrue(
            thrownMessage {
                _ = try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n"))
            }
            .contains("malformed header"))
        XCTAssertTrue(
            thrownMessage {
                _ = try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n"))
            }
            .contains("Fortran"))
        XCTAssertTrue(
            thrownMessage {
                _ = try NPY.decode(withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n"))
            }
            .contains("unsupported dtype |O"))
        XCTAssertNoThrow(try NPY.decode(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n")))
    }

    func testNumPyReadsWhatWeWriteAndWeReadWhatNumPyWrites() throws {
        let folder = try makeTemporaryFolder(for: self)
        let floats: [Float] = [0, -1.5, 3.25, .infinity, Float.leastNormalMagnitude / 8, -0.0]
        try NPY.write(float32: floats, shape: [2, 3], to: folder.appendingPathComponent("f.npy"))
        try NPY.write(uint8: [0, 127, 255, 9], shape: [4], to: folder.appendingPathComponent("u.npy"))
        try NPY.write(
            int64: [Int64.min, -1, 0, Int64.max], shape: [2, 2, 1], to: folder.appendingPathComponent("i.npy"))
        try NPY.write(float32: [42], shape: [], to: folder.appendingPathComponent("s.npy"))
        let output = try runPython(
            """
            import sys, numpy as np
            d = sys.argv[1]
            f = np.load(d + "/f.npy")
            assert f.dtype == np.float32 and f.shape == (2, 3), (f.dtype, f.shape)
            assert f.tobytes() == np.array([0, -1.5, 3.25, np.inf, np.finfo(np.float32).tiny / 8, -0.0], dtype=np.float32).reshape(2, 3).tobytes()
            u = np.load(d + "/u.npy")
            assert u.dtype == np.uint8 and u.tolist() == [0, 127, 255, 9]
            i = np.load(d + "/i.npy")
            assert i.dtype == np.int64 and i.shape == (2, 2, 1) and i.ravel().tolist() == [-2**63, -1, 0, 2**63 - 1]
            s = np.load(d + "/s.npy")
            assert s.shape == () and s == 42
            np.save(d + "/from_numpy.npy", np.arange(12, dtype=np.float32).reshape(3, 4) / 4)
            print("ok")
            """, arguments: [folder.path], needsNumPy: true)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        let fromNumPy = try NPY.read(from: folder.appendingPathComponent("from_numpy.npy"))
        XCTAssertEqual(fromNumPy.descr, "<f4")
        XCTAssertEqual(fromNumPy.shape, [3, 4])
        let values = fromNumPy.payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(values, (0..<12).map { Float($0) / 4 })
    }
}
