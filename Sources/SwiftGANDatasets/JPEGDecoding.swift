import Foundation
import SwiftGANCJPEG

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JPEG decoding through libjpeg(-turbo), safe against every libjpeg error.
///
/// libjpeg reports a fatal error by calling `error_exit`, which must not return (the default one
/// calls `exit()`). C programs `longjmp` out of it; Swift cannot, because `setjmp` is unavailable
/// to Swift and jumping over Swift frames is undefined. So each image is decoded on its own short
/// thread, whose `error_exit` records libjpeg's message and ends that thread with `pthread_exit`.
/// Only C frames and the thread's own entry function are abandoned; the entry function touches
/// nothing but raw pointers into a ``Job`` that the calling thread owns, so nothing is left
/// retained or locked, and the caller then frees libjpeg's memory with `jpeg_destroy_decompress`,
/// exactly as a C program does after its `longjmp`. A thread costs tens of microseconds, far less
/// than decoding the image.
///
/// Warnings (`emit_message` with a negative level) are not fatal in libjpeg: it decodes on past
/// corrupt data, so a truncated download loads with a grey lower half, garbage between markers is
/// skipped, and an inconsistent progression ("bogus progression") is decoded scan after scan. Here
/// every warning ends the decode the way `error_exit` does, and the image is refused with
/// libjpeg's text for it.
///
/// A progressive file may also repeat scans that libjpeg finds consistent (a first scan of a band
/// with no successive approximation, say): each one costs a pass over the whole image, so a
/// 440 KB file of 8000 × 8000 pixels with 2,000 scans takes minutes. libjpeg's progress monitor
/// runs before each piece of input is absorbed, and refuses the file once its scan count passes
/// ``scanLimit``.
enum JPEGDecoder {
    /// Everything the decoding thread reads and writes. It lives in memory allocated by the caller,
    /// which outlives the thread however the thread ends.
    struct Job {
        var info: UnsafeMutablePointer<jpeg_decompress_struct>
        var errors: UnsafeMutablePointer<jpeg_error_mgr>
        var progress: UnsafeMutablePointer<jpeg_progress_mgr>
        var input: UnsafePointer<UInt8>
        var inputCount: Int
        var smallestUsefulSide: Int
        var output: UnsafeMutablePointer<UInt8>?
        var width = 0, height = 0, channels = 0, reduction = 1, fullWidth = 0, fullHeight = 0
        var created = false
        /// libjpeg's message for a fatal error or a warning, or this decoder's own reason to refuse
        /// the image.
        var failure: UnsafeMutablePointer<CChar>
        var failed = false
    }

    static let messageLength = Int(JMSG_LENGTH_MAX)

    /// The most scans (SOS markers) a file may have. jpeg_simple_progression writes 10 for colour
    /// and 6 for gray; libjpeg-turbo's own fuzzers decode with this limit (TJPARAM_SCANLIMIT 100),
    /// and its djpeg takes one as `-maxscans`.
    static let scanLimit = 100
    /// A constant, so that the progress monitor allocates nothing that `pthread_exit` would abandon.
    static let tooManyScans = "progressive JPEG has more than \(scanLimit) scans"

    static func decode(_ data: Data, smallestUsefulSide: Int) throws -> DecodedImage {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> DecodedImage in
            let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
            let info = UnsafeMutablePointer<jpeg_decompress_struct>.allocate(capacity: 1)
            info.initialize(to: jpeg_decompress_struct())
            let errors = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
            errors.initialize(to: jpeg_error_mgr())
            let progress = UnsafeMutablePointer<jpeg_progress_mgr>.allocate(capacity: 1)
            progress.initialize(to: jpeg_progress_mgr())
            let failure = UnsafeMutablePointer<CChar>.allocate(capacity: messageLength)
            job.initialize(
                to: Job(
                    info: info, errors: errors, progress: progress,
                    input: raw.bindMemory(to: UInt8.self).baseAddress!, inputCount: raw.count,
                    smallestUsefulSide: smallestUsefulSide, failure: failure))
            defer {
                if job.pointee.created { jpeg_destroy_decompress(info) }
                job.pointee.output?.deallocate()
                failure.deallocate()
                progress.deallocate()
                errors.deallocate()
                info.deallocate()
                job.deallocate()
            }
            try runOnOwnThread(job)
            if job.pointee.failed {
                let reason = String(cString: failure)
                // libjpeg's texts for running out of data: JWRN_JPEG_EOF, JWRN_HIT_MARKER.
                let cut = reason.lowercased().contains("premature end")
                throw DataError("JPEG: " + reason + (cut ? " (truncated file?)" : ""))
            }
            let j = job.pointee
            let pixels = [UInt8](UnsafeBufferPointer(start: j.output!, count: j.width * j.height * j.channels))
            return DecodedImage(
                width: j.width, height: j.height, channels: j.channels, pixels: pixels,
                reduction: j.reduction, fullWidth: j.fullWidth, fullHeight: j.fullHeight)
        }
    }

    private static func runOnOwnThread(_ job: UnsafeMutablePointer<Job>) throws {
        #if canImport(Darwin)
        var thread: pthread_t?
        let started = pthread_create(&thread, nil, { JPEGDecoder.decodeOnThread($0) }, job)
        guard started == 0, let thread else {
            throw DataError("JPEG: cannot start a decoding thread (error \(started))")
        }
        #else
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { JPEGDecoder.decodeOnThread($0!) }, job)
        guard started == 0 else { throw DataError("JPEG: cannot start a decoding thread (error \(started))") }
        #endif
        pthread_join(thread, nil)
    }

    /// The decoding thread's whole life. It may end inside any libjpeg call (see ``JPEGDecoder``).
    private static func decodeOnThread(_ raw: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        let job = raw.assumingMemoryBound(to: Job.self)
        let info = job.pointee.info, errors = job.pointee.errors
        info.pointee.err = jpeg_std_error(errors)
        errors.pointee.error_exit = { common in
            let job = common!.pointee.client_data.assumingMemoryBound(to: Job.self)
            job.pointee.errors.pointee.format_message(common, job.pointee.failure)
            job.pointee.failed = true
            pthread_exit(nil)
        }
        // Level -1 is a warning about corrupt data, which libjpeg would decode past: fatal here.
        // Levels 0 and up are trace messages.
        errors.pointee.emit_message = { common, level in
            guard level < 0 else { return }
            let job = common!.pointee.client_data.assumingMemoryBound(to: Job.self)
            job.pointee.errors.pointee.format_message(common, job.pointee.failure)
            job.pointee.failed = true
            pthread_exit(nil)
        }
        errors.pointee.output_message = { _ in }
        job.pointee.progress.pointee.progress_monitor = { common in
            let job = common!.pointee.client_data.assumingMemoryBound(to: Job.self)
            guard Int(job.pointee.info.pointee.input_scan_number) > JPEGDecoder.scanLimit else { return }
            JPEGDecoder.record(JPEGDecoder.tooManyScans, in: job)
            pthread_exit(nil)
        }
        jpeg_CreateDecompress(info, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
        job.pointee.created = true
        // Set after creation, which clears the struct apart from `err`.
        info.pointee.client_data = raw
        info.pointee.progress = job.pointee.progress
        jpeg_mem_src(info, job.pointee.input, UInt(job.pointee.inputCount))
        _ = jpeg_read_header(info, 1)

        func refuse(_ reason: String) -> UnsafeMutableRawPointer? {
            JPEGDecoder.record(reason, in: job)
            return nil
        }
        let width = Int(info.pointee.image_width), height = Int(info.pointee.image_height)
        if let problem = ImageDecoder.sizeProblem("JPEG", width: width, height: height) { return refuse(problem) }
        switch info.pointee.jpeg_color_space {
        case JCS_GRAYSCALE: info.pointee.out_color_space = JCS_GRAYSCALE
        case JCS_YCbCr, JCS_RGB: info.pointee.out_color_space = JCS_RGB
        default:
            return refuse(
                "\(info.pointee.num_components)-component JPEG in colour space \(info.pointee.jpeg_color_space.rawValue) is not supported (only gray, YCbCr and RGB are)"
            )
        }
        // DCT-domain scaling: the largest 1/d that keeps the shorter side at least the useful side.
        let shorter = min(width, height)
        let reduction = [8, 4, 2].first { shorter / $0 >= job.pointee.smallestUsefulSide } ?? 1
        (info.pointee.scale_num, info.pointee.scale_denom) = (1, UInt32(reduction))
        (job.pointee.reduction, job.pointee.fullWidth, job.pointee.fullHeight) = (reduction, width, height)
        guard jpeg_start_decompress(info) != 0 else { return refuse("suspended while reading from memory") }
        let w = Int(info.pointee.output_width), h = Int(info.pointee.output_height),
            c = Int(info.pointee.output_components)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: w * h * c)
        (job.pointee.output, job.pointee.width, job.pointee.height, job.pointee.channels) = (output, w, h, c)
        while info.pointee.output_scanline < info.pointee.output_height {
            var row: JSAMPROW? = output + Int(info.pointee.output_scanline) * w * c
            _ = jpeg_read_scanlines(info, &row, 1)
        }
        _ = jpeg_finish_decompress(info)
        return nil
    }

    /// Records this decoder's own reason to refuse the image, cut to libjpeg's message length.
    private static func record(_ reason: String, in job: UnsafeMutablePointer<Job>) {
        _ = reason.withCString { strncpy(job.pointee.failure, $0, messageLength - 1) }
        job.pointee.failure[messageLength - 1] = 0
        job.pointee.failed = true
    }
}
