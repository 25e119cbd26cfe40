import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Plain sockets for what curl will not send: malformed requests, raw pipelines.
enum RawHTTP {
    static func canConnect(port: Int, host: String = "127.0.0.1") -> Bool {
        guard let fd = self.connect(port: port, host: host) else { return false }
        close(fd)
        return true
    }

    static func connect(port: Int, host: String = "127.0.0.1", receiveBuffer: Int32? = nil) -> Int32? {
        let (fd, address) = self.socket(host: host, port: port, receiveBuffer: receiveBuffer)
        guard fd >= 0 else { return nil }
        let result = Self.withSockaddr(address) { Glibc.connect(fd, $0, $1) }
        if result != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    /// A TCP socket (with its receive buffer set before any connection) and the address of
    /// `host:port`.
    private static func socket(host: String, port: Int, receiveBuffer: Int32?) -> (Int32, sockaddr_in) {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if fd >= 0, var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return (fd, address)
    }

    private static func withSockaddr(_ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// A listening socket on `host` and a free port.
    static func listen(host: String, receiveBuffer: Int32? = nil) throws -> (fd: Int32, port: Int) {
        let port = try FreePort.next()
        let (fd, address) = self.socket(host: host, port: port, receiveBuffer: receiveBuffer)
        // The port was free on 127.0.0.1; on this host an earlier test's connection may still
        // hold it in TIME_WAIT, which only SO_REUSEADDR lets a listener share.
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound = Self.withSockaddr(address) { bind(fd, $0, $1) }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            close(fd)
            throw HarnessError("cannot listen on \(host):\(port)")
        }
        return (fd, port)
    }

    /// Sends `request` and reads until the server closes or `timeout` passes.
    static func exchange(port: Int, _ request: String, timeout: Double = 5) throws -> String {
        String(decoding: try self.exchangeBytes(port: port, request, timeout: timeout), as: UTF8.self)
    }

    static func exchangeBytes(port: Int, _ request: String, timeout: Double = 5) throws -> [UInt8] {
        guard let fd = self.connect(port: port) else { throw HarnessError("cannot connect to \(port)") }
        defer { close(fd) }
        var timeoutValue = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeoutValue, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return received
    }
}

/// A raw backend for answers no real server would give: each connection's request head is
/// read, then `reply` writes whatever it likes and the connection is closed (one connection at
/// a time, on its own thread).
final class ScriptedServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    let host: String

    init(host: String, reply: @escaping @Sendable (_ client: Int32, _ head: [UInt8]) -> Void) throws {
        (self.fd, self.port) = try RawHTTP.listen(host: host)
        self.host = host
        let listener = self.fd
        Thread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var byte: UInt8 = 0
                var head: [UInt8] = []
                while !(head.count >= 4 && Array(head.suffix(4)) == Array("\r\n\r\n".utf8)) {
                    guard recv(client, &byte, 1, 0) > 0 else { break }
                    head.append(byte)
                }
                reply(client, head)
                close(client)
            }
        }.start()
    }

    /// The real `portico` in front of this backend alone, for every host and path.
    func behindPortico(annotations: [String: String] = [:], extraArguments: [String] = []) throws -> PorticoProcess {
        let rules = try RulesDirectory([
            "rules.yaml": RulesDirectory.service("scripted", port: self.port, ready: [self.host])
                + RulesDirectory.ingress("scripted", host: nil, paths: [("/", "Prefix", "scripted")], annotations: annotations),
        ])
        return try PorticoProcess(rules: rules.url, extraArguments: extraArguments)
    }

    /// Everything a client socket receives until the peer closes (or its receive timeout).
    static func receiveAll(_ fd: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return received }
            received += buffer[0..<count]
        }
    }

    static func send(_ client: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    deinit {
        shutdown(self.fd, Int32(SHUT_RDWR))
        close(self.fd)
    }
}

/// A backend that answers any request with `101 Switching Protocols` and then echoes every byte,
/// like a WebSocket server after its handshake.
enum UpgradeEchoServer {
    static func start(host: String) throws -> ScriptedServer {
        try ScriptedServer(host: host) { client, _ in
            ScriptedServer.send(client, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(client, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                _ = buffer.withUnsafeBytes { Glibc.send(client, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
            }
        }
    }
}

/// A listening socket that never accepts or reads: an upstream that stops taking a request
/// body once the kernel buffers are full.
final class BlackHoleServer {
    let fd: Int32
    let port: Int

    init(host: String) throws {
        (self.fd, self.port) = try RawHTTP.listen(host: host, receiveBuffer: 4096)
    }

    deinit { close(self.fd) }
}

enum FreePort {
    /// A port the kernel just handed out and released.
    static func next() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw HarnessError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
