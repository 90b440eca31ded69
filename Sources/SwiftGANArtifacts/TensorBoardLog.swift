import Foundation

/// A TensorBoard event file (`events.out.tfevents.*`), written as TensorFlow's `EventsWriter`
/// does: TFRecord framing (length, masked CRC-32C of the length, the `Event` protocol buffer,
/// its masked CRC-32C), the first event naming the format (`brain.Event:2`). Scalars, PNG images
/// and text (the text plugin's string tensors) go into `Summary` values; `tensorboard --logdir`
/// reads the folder.
///
/// A resumed run opens a new file that starts with a `SessionLog.START` at its first step:
/// TensorBoard then drops what an earlier file logged from that step on (steps trained after the
/// last save, before an interruption), so the curves show one consistent run.
///
/// ```swift
/// let log = try TensorBoardLog(folder: runFolder)
/// log.scalar("loss/D", 0.693, step: 1)
/// try log.flush()
/// ```
public final class TensorBoardLog {
    public let url: URL
    private let handle: FileHandle
    private var pending = Data()

    /// Opens a new event file in `folder`; `resumingAt` writes the restart marker for that step.
    public init(folder: URL, resumingAt step: Int? = nil) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        var name =
            "events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host.isEmpty ? "localhost" : host).\(getpid())"
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) { name += "x" }
        url = folder.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: url.path)
        else {
            throw AtomicFile.WriteError(path: url.path, reason: "cannot create the TensorBoard event file")
        }
        self.handle = handle
        var first = Self.event(step: 0)
        first.string(3, "brain.Event:2")  // Event.file_version
        append(first)
        if let step {
            var restart = Self.event(step: step)
            var session = ProtobufMessage()
            session.integer(1, 1)  // SessionLog.status = START
            restart.message(6, session)  // Event.session_log
            append(restart)
        }
        try flush()
    }

    deinit { try? handle.close() }

    public func scalar(_ tag: String, _ value: Double, step: Int) {
        var v = ProtobufMessage()
        v.string(1, tag)
        v.float(2, Float(value))  // Summary.Value.simple_value
        summary(v, step: step)
    }

    /// A PNG image (its bytes as written to disk) of the given size.
    public func image(_ tag: String, png: Data, width: Int, height: Int, channels: Int, step: Int) {
        var image = ProtobufMessage()
        image.integer(1, Int64(height))
        image.integer(2, Int64(width))
        image.integer(3, Int64(channels))  // colorspace: 1 gray, 3 RGB, 4 RGBA
        image.data(4, [UInt8](png))
        var v = ProtobufMessage()
        v.string(1, tag)
        v.message(4, image)  // Summary.Value.image
        summary(v, step: step)
    }

    /// Text, shown by TensorBoard's text plugin (markdown).
    public func text(_ tag: String, _ text: String, step: Int) {
        var plugin = ProtobufMessage()
        plugin.string(1, "text")  // PluginData.plugin_name
        var metadata = ProtobufMessage()
        metadata.message(1, plugin)  // SummaryMetadata.plugin_data
        var tensor = ProtobufMessage()
        tensor.integer(1, 7)  // TensorProto.dtype = DT_STRING
        tensor.message(2, ProtobufMessage())  // tensor_shape: a scalar
        tensor.string(8, text)  // string_val
        var v = ProtobufMessage()
        v.string(1, tag)
        v.message(9, metadata)
        v.message(8, tensor)  // Summary.Value.tensor
        summary(v, step: step)
    }

    /// Writes what is pending (the writer also flushes itself every 64 KiB).
    public func flush() throws {
        guard !pending.isEmpty else { return }
        do { try handle.write(contentsOf: pending) } catch {
            throw AtomicFile.WriteError(path: url.path, reason: error.localizedDescription)
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func summary(_ value: ProtobufMessage, step: Int) {
        var summary = ProtobufMessage()
        summary.message(1, value)  // Summary.value
        var e = Self.event(step: step)
        e.message(5, summary)  // Event.summary
        append(e)
        if pending.count >= 64 << 10 { try? flush() }
    }

    private static func event(step: Int) -> ProtobufMessage {
        var e = ProtobufMessage()
        e.double(1, Date().timeIntervalSince1970)  // Event.wall_time
        e.integer(2, Int64(step))  // Event.step
        return e
    }

    private func append(_ event: ProtobufMessage) {
        pending.append(contentsOf: Self.record(event.bytes))
    }

    /// One TFRecord: little-endian UInt64 length, its masked CRC, the data, the data's masked CRC.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length += $0 }
        func masked(_ bytes: [UInt8]) -> [UInt8] {
            let crc = CRC32C.checksum(bytes)
            let m = ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
            return withUnsafeBytes(of: m.littleEndian) { Array($0) }
        }
        return length + masked(length) + data + masked(data)
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecords.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
