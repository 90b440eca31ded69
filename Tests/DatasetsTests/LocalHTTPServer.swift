import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 server on 127.0.0.1 for download tests. Each route answers with a status,
/// a body, and optionally a Content-Length larger than the body followed by a closed connection
/// (a dropped download). It serves until `stop()`; nothing leaves the loopback interface.
final class LocalHTTPServer: @unchecked Sendable {
    struct Route {
        var status = 200
        var body: Data
        /// Bytes actually sent before closing; nil sends the whole body.
        var cutAfter: Int?
    }

    let port: UInt16
    private let socketFD: Int32
    private let routes: [String: Route]
    private let thread: Thread
    private var stopped = false
    private let lock = NSLock()

    init(routes: [String: Route]) throws {
        self.routes = routes
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socketFD = socketFD
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(socketFD, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        let fd = socketFD, table = routes
        thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                LocalHTTPServer.serve(client, table)
            }
        }
        thread.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)/" }

    func stop() {
        lock.lock(); defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    deinit { stop() }

    private static func serve(_ client: Int32, _ routes: [String: Route]) {
        defer { close(client) }
        var request = [UInt8](repeating: 0, count: 4096)
        let n = recv(client, &request, request.count, 0)
        guard n > 0 else { return }
        let line = String(decoding: request[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        let path = parts.count > 1 ? String(parts[1]) : "/"
        let route = routes[path] ?? Route(status: 404, body: Data("not found".utf8))
        let header = "HTTP/1.0 \(route.status) X\r\nContent-Length: \(route.body.count)\r\nConnection: close\r\n\r\n"
        var payload = Data(header.utf8)
        payload.append(route.body.prefix(route.cutAfter ?? route.body.count))
        payload.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let k = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if k <= 0 { return }
                sent += k
            }
        }
    }
}
