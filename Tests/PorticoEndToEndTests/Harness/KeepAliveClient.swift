import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client on one keep-alive connection (reconnecting when the server closes),
/// for load that runs while the configuration changes.
final class KeepAliveClient {
    private let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(port: Int) {
        self.port = port
    }

    deinit { if self.fd >= 0 { close(self.fd) } }

    struct Response {
        var status: Int
        var body: String
    }

    /// One GET; nil when the exchange failed at the socket level.
    func get(host: String, path: String, headers: String = "") -> Response? {
        if self.fd < 0 {
            guard let fd = RawHTTP.connect(port: self.port) else { return nil }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            self.fd = fd
            self.buffer = []
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\(headers)\r\n".utf8)
        guard request.withUnsafeBytes({ send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count,
            let response = self.readResponse()
        else {
            close(self.fd)
            self.fd = -1
            return nil
        }
        return response
    }

    private func readResponse() -> Response? {
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = self.buffer.count >= 4 ? (0...(self.buffer.count - 4)).first { Array(self.buffer[$0..<($0 + 4)]) == separator } : nil
            if headEnd == nil, !self.fill() { return nil }
        }
        let head = String(decoding: self.buffer[0..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let length = lines.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
        }.first ?? 0
        let bodyStart = headEnd! + 4
        while self.buffer.count < bodyStart + length { if !self.fill() { return nil } }
        let body = String(decoding: self.buffer[bodyStart..<(bodyStart + length)], as: UTF8.self)
        self.buffer.removeFirst(bodyStart + length)
        if head.lowercased().contains("connection: close") {
            close(self.fd)
            self.fd = -1
        }
        return Response(status: status, body: body)
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let count = recv(self.fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        self.buffer += chunk[0..<count]
        return true
    }
}
