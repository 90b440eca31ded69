import Foundation
import SwiftGANCJPEG

/// A JPEG writer through libjpeg's compressor, for the tests and the fuzzers' seed files (SwiftGAN
/// itself only reads JPEG): baseline, or progressive with several scans; 4 channels are CMYK.
package enum JPEGEncoder {
    /// `progressive`: jpeg_simple_progression's scans. `scans`, when given, is a progression of
    /// one's own instead (libjpeg checks it and stops on a bad one), for files the simple one does
    /// not make: `jpeg_scan_info(comps_in_scan: 1, component_index: (0, 0, 0, 0), Ss: 1, Se: 63,
    /// Ah: 0, Al: 0)` is the whole AC band of the first component in one scan.
    package static func encode(
        pixels: [UInt8], width: Int, height: Int, channels: Int,
        quality: Int32 = 95, progressive: Bool = false, scans: [jpeg_scan_info]? = nil
    ) -> Data {
        precondition(
            [1, 3, 4].contains(channels) && pixels.count == width * height * channels, "JPEGEncoder: bad image")
        var info = jpeg_compress_struct()
        var errors = jpeg_error_mgr()
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        // libjpeg reads the script until jpeg_finish_compress, so it lives in memory of its own.
        let script = UnsafeMutableBufferPointer<jpeg_scan_info>.allocate(capacity: scans?.count ?? 0)
        defer { script.deallocate() }
        if let scans { _ = script.initialize(from: scans) }
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
                if let scans {
                    info.pointee.scan_info = UnsafePointer(script.baseAddress)
                    info.pointee.num_scans = Int32(scans.count)
                } else if progressive {
                    jpeg_simple_progression(info)
                }
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
