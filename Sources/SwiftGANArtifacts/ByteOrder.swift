import Foundation

// Byte-order helpers: NPY and safetensors store numbers little-endian and PNG big-endian, whatever
// the machine. Floats travel as bit patterns so NaN payloads, -0 and denormals survive unchanged.

extension Data {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// The `T` stored little-endian at `offset`; the caller has checked the bounds.
    func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: rawValue(T.self, at: offset))
    }

    /// The `T` stored big-endian at `offset`; the caller has checked the bounds.
    func readBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: rawValue(T.self, at: offset))
    }

    private func rawValue<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value = T.zero
        _ = Swift.withUnsafeMutableBytes(of: &value) { destination in
            copyBytes(to: destination, from: (startIndex + offset)..<(startIndex + offset + MemoryLayout<T>.size))
        }
        return value
    }
}

enum LittleEndian {
    static func bytes(of values: [Float]) -> Data {
        bytes(of: values.map(\.bitPattern))
    }

    static func bytes<T: FixedWidthInteger>(of values: [T]) -> Data {
        #if _endian(little)
        return values.withUnsafeBufferPointer { Data(buffer: $0) }
        #else
        return values.map(\.littleEndian).withUnsafeBufferPointer { Data(buffer: $0) }
        #endif
    }

    static func floats(from bytes: Data) -> [Float] {
        integers(UInt32.self, from: bytes).map(Float.init(bitPattern:))
    }

    static func integers<T: FixedWidthInteger>(_: T.Type, from bytes: Data) -> [T] {
        let count = bytes.count / MemoryLayout<T>.size
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = bytes.copyBytes(to: buffer)
            initialized = count
        }
        #if _endian(little)
        return values
        #else
        return values.map(T.init(littleEndian:))
        #endif
    }
}
