import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches a file over HTTP(S), verifies its SHA-256, and only then moves it into place, so a
/// dropped connection or a wrong file never leaves anything at the destination.
public enum Download {
    /// Downloads `url` to `destination` if its SHA-256 is `sha256`. Throws a ``DataError`` that names
    /// the URL and the problem otherwise.
    public static func fetch(_ url: URL, to destination: URL, sha256: String, timeout: TimeInterval = 120) throws {
        let data = try get(url, timeout: timeout)
        let actual = SHA256.hex(data)
        guard actual == sha256.lowercased() else {
            throw DataError(
                "\(url.absoluteString): SHA-256 mismatch (expected \(sha256), got \(actual)); the file was not saved")
        }
        let folder = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).download")
        do {
            try data.write(to: temporary)
            if FileManager.default.fileExists(atPath: destination.path) {
                try FileManager.default.removeItem(at: destination)
            }
            try FileManager.default.moveItem(at: temporary, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DataError("cannot save \(destination.path): \(error.localizedDescription)")
        }
    }

    /// The whole body of a GET, or an error for transport failures, non-2xx statuses and bodies
    /// shorter than their Content-Length.
    static func get(_ url: URL, timeout: TimeInterval) throws -> Data {
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let done = DispatchSemaphore(value: 0)
        // The completion handler runs on the session's queue; the semaphore orders its write before our read.
        final class Outcome: @unchecked Sendable { var result: Result<Data, DataError>? }
        let outcome = Outcome()
        let task = session.dataTask(with: request) { data, response, error in
            defer { done.signal() }
            var result: Result<Data, DataError> = .failure(DataError("\(url.absoluteString): no response"))
            defer { outcome.result = result }
            if let error {
                result = .failure(DataError("\(url.absoluteString): download failed (\(error.localizedDescription))"))
                return
            }
            guard let http = response as? HTTPURLResponse, let data else { return }
            guard (200..<300).contains(http.statusCode) else {
                result = .failure(DataError("\(url.absoluteString): HTTP status \(http.statusCode)"))
                return
            }
            // With a Content-Encoding the length counts encoded bytes; the SHA-256 check covers that case.
            if http.value(forHTTPHeaderField: "Content-Encoding") == nil,
                http.expectedContentLength >= 0 && Int64(data.count) != http.expectedContentLength
            {
                result = .failure(
                    DataError(
                        "\(url.absoluteString): connection dropped after \(data.count) of \(http.expectedContentLength) bytes"
                    ))
                return
            }
            result = .success(data)
        }
        task.resume()
        done.wait()
        return try outcome.result!.get()
    }
}
