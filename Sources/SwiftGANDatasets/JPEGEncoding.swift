import Foundation
import SwiftGANCJPEG

/// A JPEG writer through libjpeg's compressor, for the tests and the fuzzers' seed files (SwiftGAN
/// itself only reads JPEG): baseline, or progressive with several scans; 4 channels are CMYK.
package enum JPEGEncoder {
    package static func encode(
        pixels: [UInt8], width: Int, height: Int, channels: Int,
        quality: Int32 = 95, progressive: Bool = false
    ) -> Data {
        precondition(
            [1, 3, 4].contains(channels) && pixels.count == width * height * channels, "JPEGEncoder: bad image")
        var info = jpeg_compress_struct()
        var errors = jpeg_error_mgr()
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        withUnsafeMutablePointer(to: &errors) { errors in
            withUnsafeMutablePointer(to: &info) { info in
                info.pointee.err = jpeg_std_error(errors)
                jpeg_CreateCompress(info, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
                jpeg_mem_dest(info, &buffer, &size)
                info.pointee.image_width = JDIMENSION(width)
                info.pointee.image_height = JDIMENSION(height)
                info.pointee.input_components = Int32(channels)
                info.pointee.in_color_space = [1: JCS_GRAYSCALE, 3: JCS_RGB, 4: JCS_CMYK][channels]!
                jpeg_set_defaults(info)
                jpeg_set_quality(info, quality, 1)
                if progressive { jpeg_simple_progression(info) }
                jpeg_start_compress(info, 1)
                var rows = pixels
                rows.withUnsafeMutableBufferPointer { p in
                    while info.pointee.next_scanline < info.pointee.image_height {
                        var row: JSAMPROW? = p.baseAddress! + Int(info.pointee.next_scanline) * width * channels
                        jpeg_write_scanlines(info, &row, 1)
                    }
                }
                jpeg_finish_compress(info)
                jpeg_destroy_compress(info)
            }
        }
        defer { free(buffer) }
        return Data(bytes: buffer!, count: Int(size))
    }
}
