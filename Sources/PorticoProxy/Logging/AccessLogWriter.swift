#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One access-log line per request, batched per event loop: lines collect in a buffer that is
/// handed to the `AccessLogSink` after the loop's current batch of I/O, so logging never costs a
/// system call, nor a wait on the disk, per request.
final class AccessLogWriter {
    private let sink: AccessLogSink
    private let eventLoop: any EventLoop
    private var buffer: [UInt8] = []
    private var lines = 0
    private var flushScheduled = false
    private var cachedSecond = 0
    private var cachedTime: [UInt8] = []

    init(sink: AccessLogSink, eventLoop: any EventLoop) {
        self.sink = sink
        self.eventLoop = eventLoop
        self.buffer.reserveCapacity(16 * 1024)
    }

    struct Entry {
        var peer: String
        var method: UnsafeRawBufferPointer
        var target: UnsafeRawBufferPointer
        var host: UnsafeRawBufferPointer
        var isHTTP11: Bool
        var status: Int
        var bytesSent: Int
        var upstream: String?
        var route: String?
        var durationNanoseconds: Int64
    }

    /// `2026-11-26T17:11:23Z 10.0.0.1 "GET /one HTTP/1.1" 200 123 host=… upstream=… route=… 0.001s`
    func log(_ entry: Entry) {
        self.writeTime()
        self.buffer.append(UInt8(ascii: " "))
        self.buffer.append(contentsOf: entry.peer.utf8)
        self.buffer.append(contentsOf: " \"".utf8)
        self.buffer.append(contentsOf: entry.method)
        self.buffer.append(UInt8(ascii: " "))
        self.appendSanitized(entry.target)
        self.buffer.append(contentsOf: (entry.isHTTP11 ? " HTTP/1.1\" " : " HTTP/1.0\" ").utf8)
        self.buffer.append(contentsOf: String(entry.status).utf8)
        self.buffer.append(UInt8(ascii: " "))
        self.buffer.append(contentsOf: String(entry.bytesSent).utf8)
        self.buffer.append(contentsOf: " host=".utf8)
        self.appendSanitized(entry.host)
        self.buffer.append(contentsOf: " upstream=".utf8)
        self.buffer.append(contentsOf: (entry.upstream ?? "-").utf8)
        self.buffer.append(contentsOf: " route=".utf8)
        self.buffer.append(contentsOf: (entry.route ?? "-").utf8)
        let micros = entry.durationNanoseconds / 1000
        self.buffer.append(contentsOf: " \(micros / 1_000_000).\(String(micros % 1_000_000).leftPadded(6))s\n".utf8)
        self.lines += 1
        if !self.flushScheduled {
            self.flushScheduled = true
            self.eventLoop.assumeIsolated().execute { self.flush() }
        }
    }

    func flush() {
        self.flushScheduled = false
        guard !self.buffer.isEmpty else { return }
        self.sink.submit(self.buffer, lines: self.lines)
        self.buffer.removeAll(keepingCapacity: true)  // the sink holds its own copy
        self.lines = 0
    }

    /// Control bytes and quotes from the client never reach the log raw (log injection).
    private func appendSanitized(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                self.buffer.append(contentsOf: "\\x".utf8)
                self.buffer.append(RequestIDGenerator.hexDigits[Int(byte >> 4)])
                self.buffer.append(RequestIDGenerator.hexDigits[Int(byte & 0xF)])
            } else {
                self.buffer.append(byte)
            }
        }
    }

    private func writeTime() {
        var now = time(nil)
        if Int(now) != self.cachedSecond {
            self.cachedSecond = Int(now)
            var parts = tm()
            gmtime_r(&now, &parts)
            let text =
                "\(parts.tm_year + 1900)-\(String(parts.tm_mon + 1).leftPadded(2))-\(String(parts.tm_mday).leftPadded(2))T"
                + "\(String(parts.tm_hour).leftPadded(2)):\(String(parts.tm_min).leftPadded(2)):\(String(parts.tm_sec).leftPadded(2))Z"
            self.cachedTime = Array(text.utf8)
        }
        self.buffer.append(contentsOf: self.cachedTime)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}

@available(*, unavailable)
extension AccessLogWriter: Sendable {}
