import Foundation

/// GIF's variant of LZW (GIF89a specification, appendix F): after the 2ⁿ literal codes for
/// n-bit colour indices come a clear code (2ⁿ) and an end-of-information code (2ⁿ + 1); codes
/// start n + 1 bits wide, grow by one bit whenever the table outgrows the width, stop growing at
/// 12 bits, and are packed least-significant bit first. When the table holds 4096 entries the
/// encoder sends a clear code and starts over.
///
/// The encoder keeps the string table as a trie in one flat array, `children[prefix << n | index]`,
/// so extending the current string by one pixel is a single load; it is allocated once and reused
/// for every frame of an animation.
///
/// ```swift
/// var encoder = GIFLZWEncoder(minimumCodeSize: 8)
/// let codes = encoder.compress(grayPixels)
/// let back = try GIFLZW.decompress(codes, minimumCodeSize: 8, pixelCount: grayPixels.count)
/// ```
enum GIFLZW {
    static let maximumCodeSize = 12
    static let tableCapacity = 1 << maximumCodeSize

    /// The colour indices in a packed code stream (the image data sub-blocks joined), which must
    /// hold exactly `pixelCount` indices and end with the end-of-information code.
    static func decompress(_ data: [UInt8], minimumCodeSize: Int, pixelCount: Int) throws -> [UInt8] {
        // A code has at least 3 bits and stands for at most 4096 indices; a larger claim is corrupt,
        // and refusing it avoids allocating memory for pixels that cannot be there.
        guard pixelCount / tableCapacity <= data.count * 8 / 3 else {
            throw lzwError("\(data.count) bytes cannot hold \(pixelCount) pixels")
        }
        let clearCode = 1 << minimumCodeSize, endCode = clearCode + 1
        var prefix = [UInt16](repeating: 0, count: tableCapacity)
        var suffix = [UInt8](repeating: 0, count: tableCapacity)
        var first = [UInt8](repeating: 0, count: tableCapacity)
        var length = [Int](repeating: 1, count: tableCapacity)
        for code in 0..<clearCode {
            suffix[code] = UInt8(code)
            first[code] = UInt8(code)
        }
        var output = [UInt8](repeating: 0, count: pixelCount)
        var written = 0
        try data.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { out in
                var bitBuffer: UInt64 = 0, bitCount = 0, position = 0
                var codeSize = minimumCodeSize + 1, nextCode = endCode + 1
                var previous = -1
                while true {
                    while bitCount < codeSize {
                        guard position < input.count else {
                            throw lzwError(
                                "the data ends without an end-of-information code after \(written) of \(pixelCount) pixels"
                            )
                        }
                        bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
                        position += 1
                        bitCount += 8
                    }
                    let code = Int(bitBuffer & ((1 << UInt64(codeSize)) - 1))
                    bitBuffer >>= UInt64(codeSize)
                    bitCount -= codeSize

                    if code == clearCode {
                        codeSize = minimumCodeSize + 1
                        nextCode = endCode + 1
                        previous = -1
                        continue
                    }
                    if code == endCode { break }
                    if previous < 0 {
                        guard code < clearCode else {
                            throw lzwError("code \(code) starts a table that holds only the \(clearCode) literal codes")
                        }
                    } else {
                        // A code one past the table (the "KwKwK" case) names the string the
                        // decoder is about to add: the previous string plus its own first index.
                        guard code < nextCode || (code == nextCode && nextCode < tableCapacity) else {
                            throw lzwError(
                                "code \(code) is not in the table (next free code \(nextCode)) after \(written) pixels")
                        }
                        if nextCode < tableCapacity {
                            prefix[nextCode] = UInt16(previous)
                            suffix[nextCode] = code < nextCode ? first[code] : first[previous]
                            first[nextCode] = first[previous]
                            length[nextCode] = length[previous] + 1
                            nextCode += 1
                            if nextCode == 1 << codeSize && codeSize < maximumCodeSize { codeSize += 1 }
                        }
                    }
                    let count = length[code]
                    guard count <= pixelCount - written else {
                        throw lzwError("the data holds more than the image's \(pixelCount) pixels")
                    }
                    var walk = code
                    for k in stride(from: written + count - 1, through: written, by: -1) {
                        out[k] = suffix[walk]
                        walk = Int(prefix[walk])
                    }
                    written += count
                    previous = code
                }
            }
        }
        guard written == pixelCount else {
            throw lzwError("the data holds \(written) of the image's \(pixelCount) pixels")
        }
        return output
    }

    private static func lzwError(_ reason: String) -> FormatError {
        FormatError(format: "GIF", reason: "LZW image data: \(reason)")
    }
}

/// Compresses colour indices into GIF's LZW code stream (see `GIFLZW`), reusing its string table
/// across calls.
struct GIFLZWEncoder {
    let minimumCodeSize: Int
    /// `children[prefix << minimumCodeSize | index]` is the code for string `prefix` followed by
    /// `index`, or 0 when the table has no such string (code 0 is a literal, never a child).
    private var children: [UInt16]
    /// Where each added code sits in `children`, so a reset clears only the slots in use.
    private var slotOfCode: [Int32]

    /// An encoder for indices below 2^`minimumCodeSize` (2...8, as GIF allows).
    init(minimumCodeSize: Int) {
        precondition((2...8).contains(minimumCodeSize), "GIF's minimum LZW code size is 2...8, got \(minimumCodeSize)")
        self.minimumCodeSize = minimumCodeSize
        children = [UInt16](repeating: 0, count: GIFLZW.tableCapacity << minimumCodeSize)
        slotOfCode = [Int32](repeating: 0, count: GIFLZW.tableCapacity)
    }

    /// The packed code stream for `indices` (each below 2^`minimumCodeSize`), without the
    /// sub-block framing: a clear code, the codes, the end-of-information code.
    mutating func compress(_ indices: [UInt8]) -> [UInt8] {
        let alphabetBits = minimumCodeSize
        let clearCode = 1 << alphabetBits, endCode = clearCode + 1
        // Every pixel costs at most one code, a clear comes at most once per 3838 added codes,
        // and no code is wider than 12 bits.
        let maximumCodes = indices.count + indices.count / 2048 + 3
        var output = [UInt8](repeating: 0, count: (maximumCodes * GIFLZW.maximumCodeSize + 7) / 8)
        var written = 0
        children.withUnsafeMutableBufferPointer { children in
            slotOfCode.withUnsafeMutableBufferPointer { slotOfCode in
                indices.withUnsafeBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { out in
                        var writer = CodeWriter(output: out.baseAddress!)
                        var codeSize = alphabetBits + 1, nextCode = endCode + 1
                        writer.write(clearCode, width: codeSize)
                        if !input.isEmpty {
                            var current = Int(input[0])
                            for i in 1..<input.count {
                                let index = Int(input[i])
                                let slot = current << alphabetBits | index
                                let child = children[slot]
                                if child != 0 {
                                    current = Int(child)
                                    continue
                                }
                                writer.write(current, width: codeSize)
                                if nextCode == GIFLZW.tableCapacity {
                                    writer.write(clearCode, width: codeSize)
                                    Self.forget(
                                        codes: (endCode + 1)..<nextCode, children: children, slotOfCode: slotOfCode)
                                    codeSize = alphabetBits + 1
                                    nextCode = endCode + 1
                                } else {
                                    // The decoder adds each entry one code later than the encoder,
                                    // so the encoder widens its codes one entry later too: when the
                                    // entry it is about to add no longer fits the current width.
                                    if nextCode == 1 << codeSize { codeSize += 1 }
                                    children[slot] = UInt16(nextCode)
                                    slotOfCode[nextCode] = Int32(slot)
                                    nextCode += 1
                                }
                                current = index
                            }
                            writer.write(current, width: codeSize)
                        }
                        writer.write(endCode, width: codeSize)
                        written = writer.finish()
                        Self.forget(codes: (endCode + 1)..<nextCode, children: children, slotOfCode: slotOfCode)
                    }
                }
            }
        }
        output.removeSubrange(written...)
        return output
    }

    /// Empties the trie slots of `codes`, leaving the table as a fresh encoder has it.
    private static func forget(
        codes: Range<Int>, children: UnsafeMutableBufferPointer<UInt16>,
        slotOfCode: UnsafeMutableBufferPointer<Int32>
    ) {
        for code in codes { children[Int(slotOfCode[code])] = 0 }
    }

    /// Packs codes least-significant bit first into bytes.
    private struct CodeWriter {
        let output: UnsafeMutablePointer<UInt8>
        var written = 0
        var bitBuffer: UInt64 = 0
        var bitCount: UInt64 = 0

        mutating func write(_ code: Int, width: Int) {
            bitBuffer |= UInt64(code) << bitCount
            bitCount += UInt64(width)
            while bitCount >= 8 {
                output[written] = UInt8(truncatingIfNeeded: bitBuffer)
                written += 1
                bitBuffer >>= 8
                bitCount -= 8
            }
        }

        /// Writes the last partial byte, zero-padded, and returns the number of bytes written.
        mutating func finish() -> Int {
            if bitCount > 0 {
                output[written] = UInt8(truncatingIfNeeded: bitBuffer)
                written += 1
                bitCount = 0
            }
            return written
        }
    }
}
