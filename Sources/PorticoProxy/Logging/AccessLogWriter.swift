#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import PorticoRouting

/// One access-log line per request in the generation's format (ingress-nginx's `upstreaminfo`
/// unless `log-format-upstream` says otherwise), batched per event loop: lines collect in a
/// buffer that is handed to the `AccessLogSink` after the loop's current batch of I/O, so
/// logging never costs a system call, nor a wait on the disk, per request. Numbers are written
/// as digits straight into the buffer (no String per value).
final class AccessLogWriter {
    private let sink: AccessLogSink
    private let eventLoop: any EventLoop
    private var buffer: [UInt8] = []
    private var lines = 0
    private var flushScheduled = false
    private var cachedSecond = 0
    private var cachedLocal: [UInt8] = []
    private var cachedISO: [UInt8] = []

    init(sink: AccessLogSink, eventLoop: any EventLoop) {
        self.sink = sink
        self.eventLoop = eventLoop
        self.buffer.reserveCapacity(16 * 1024)
    }

    func log(_ line: AccessLogLine, format: AccessLogFormat) {
        let escape = format.escape
        for segment in format.segments {
            switch segment {
            case .literal(let bytes): self.buffer.append(contentsOf: bytes)
            case .variable(let variable): self.write(variable, line, escape: escape)
            }
        }
        self.buffer.append(HTTPBytes.lf)
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

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func write(_ variable: AccessLogFormat.Variable, _ line: AccessLogLine, escape: AccessLogFormat.Escape) {
        let record = line.record
        let upstreamTime = line.relay.responseNanoseconds(endingAt: line.end)
        switch variable {
        case .remoteAddr, .realIP: self.text(line.record.realClient ?? line.peer, escape)
        case .remoteUser:
            if let user = record.user { record.bytes.withUnsafeBytes { self.escaped(UnsafeRawBufferPointer(rebasing: $0[user]), escape) } } else { self.absent(escape) }
        case .timeLocal: self.updateTime(); self.buffer.append(contentsOf: self.cachedLocal)
        case .timeISO8601: self.updateTime(); self.buffer.append(contentsOf: self.cachedISO)
        case .msec:
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            self.integer(Int(now.tv_sec))
            self.buffer.append(UInt8(ascii: "."))
            self.padded(Int(now.tv_nsec) / 1_000_000, width: 3)
        case .request:
            guard record.parsed else { return self.absent(escape) }
            record.withParts { method, target, _ in
                self.escaped(method, escape)
                self.buffer.append(HTTPBytes.sp)
                self.escaped(target, escape)
            }
            self.buffer.append(UInt8(ascii: " "))
            self.buffer.append(contentsOf: UnsafeRawBufferPointer(start: record.serverProtocol.utf8Start, count: record.serverProtocol.utf8CodeUnitCount))
        case .requestMethod:
            guard record.parsed else { return self.absent(escape) }
            record.withParts { method, _, _ in self.escaped(method, escape) }
        case .requestURI, .uri, .args:
            guard record.parsed else { return self.absent(escape) }
            record.withParts { _, target, _ in
                let query = target.firstIndex(of: UInt8(ascii: "?"))
                switch variable {
                case .uri: self.escaped(UnsafeRawBufferPointer(rebasing: target[..<(query ?? target.count)]), escape)
                case .args:
                    if let query { self.escaped(UnsafeRawBufferPointer(rebasing: target[(query + 1)...]), escape) } else { self.absent(escape) }
                default: self.escaped(target, escape)
                }
            }
        case .serverProtocol: self.buffer.append(contentsOf: UnsafeRawBufferPointer(start: record.serverProtocol.utf8Start, count: record.serverProtocol.utf8CodeUnitCount))
        case .scheme: self.buffer.append(contentsOf: (line.isTLS ? "https" : "http").utf8)
        case .host:
            // nginx's `$host`: the name without its port.
            record.withParts { _, _, host in
                var end = host.count
                if host.first != UInt8(ascii: "["), let colon = host.firstIndex(of: UInt8(ascii: ":")) { end = colon }
                if end == 0 { self.absent(escape) } else { self.escaped(UnsafeRawBufferPointer(rebasing: host[0..<end]), escape) }
            }
        case .serverPort: self.integer(line.serverPort)
        case .status: self.integer(line.answer.status)
        case .bytesSent: self.integer(line.answer.bytesSent)
        case .bodyBytesSent: self.integer(line.bodyBytesSent)
        case .requestLength: self.integer(line.relay.requestLength)
        case .requestTime: self.seconds((line.end - line.answer.requestStart).nanoseconds)
        // ingress-nginx sets these per location: the default server's upstream is
        // `upstream-default-backend`, and the alternative is empty (not `-`) without a canary.
        case .upstreamName: self.text(line.answer.metricLabels?.upstream ?? "upstream-default-backend", escape)
        case .alternativeUpstreamName: if let canary = line.answer.canary { self.text(canary, escape) }
        case .upstreamAddr:
            self.earlier(line) { self.text($0.address, escape) }
            self.text(upstreamTime == nil ? nil : line.answer.endpoint?.display, escape)
        case .upstreamStatus:
            self.earlier(line) { self.integer($0.status) }
            if upstreamTime == nil { self.absent(escape) } else { self.integer(line.upstreamStatus) }
        case .upstreamResponseLength:
            self.earlier(line) { self.integer($0.responseLength) }
            if upstreamTime == nil { self.absent(escape) } else { self.integer(line.relay.upstreamBodyBytes) }
        case .upstreamResponseTime:
            self.earlier(line) { self.optionalSeconds($0.responseNanoseconds, escape) }
            self.optionalSeconds(upstreamTime, escape)
        case .upstreamConnectTime:
            self.earlier(line) { self.optionalSeconds($0.connectNanoseconds, escape) }
            self.optionalSeconds(line.relay.connectNanoseconds, escape)
        case .upstreamHeaderTime:
            self.earlier(line) { self.optionalSeconds($0.headerNanoseconds, escape) }
            self.optionalSeconds(line.relay.headerNanoseconds, escape)
        case .requestID:
            if let range = record.requestID {
                record.bytes.withUnsafeBytes { self.escaped(UnsafeRawBufferPointer(rebasing: $0[range]), escape) }
            } else {
                line.relay.requestID.append(to: &self.buffer)
            }
        case .namespace: self.text(line.answer.metricLabels?.namespace, escape)
        case .ingressName: self.text(line.answer.metricLabels?.ingress, escape)
        case .serviceName: self.text(line.answer.metricLabels?.service, escape)
        case .servicePort: self.text(line.answer.metricLabels?.servicePort, escape)
        case .locationPath: self.text(line.answer.metricLabels?.path, escape)
        case .connectionRequests: self.integer(line.connectionRequests)
        case .sslProtocol: self.text(line.tlsVersion?.name, escape)
        case .requestField(let index):
            if index < record.fields.count, let range = record.fields[index] {
                record.bytes.withUnsafeBytes { self.escaped(UnsafeRawBufferPointer(rebasing: $0[range]), escape) }
            } else {
                self.absent(escape)
            }
        }
    }

    /// The attempts before the last, each written by `value` and followed by `, ` (nginx's list
    /// separator within one upstream group).
    private func earlier(_ line: AccessLogLine, _ value: (UpstreamAttempt) -> Void) {
        guard let attempts = line.answer.earlierAttempts else { return }
        for attempt in attempts {
            value(attempt)
            self.buffer.append(contentsOf: ", ".utf8)
        }
    }

    /// nginx writes a variable with no value as `-`, or nothing under `escape=json`.
    private func absent(_ escape: AccessLogFormat.Escape) {
        if escape != .json { self.buffer.append(UInt8(ascii: "-")) }
    }

    private func text(_ value: String?, _ escape: AccessLogFormat.Escape) {
        guard var value, !value.isEmpty else { return self.absent(escape) }
        value.withUTF8 { self.escaped(UnsafeRawBufferPointer($0), escape) }
    }

    /// Client bytes never reach the log raw (log injection): nginx's escapes.
    private func escaped(_ bytes: UnsafeRawBufferPointer, _ escape: AccessLogFormat.Escape) {
        switch escape {
        case .none:
            self.buffer.append(contentsOf: bytes)
        case .default:
            for byte in bytes {
                if byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    self.buffer.append(contentsOf: "\\x".utf8)
                    self.buffer.append(HTTPBytes.upperHex[Int(byte >> 4)])
                    self.buffer.append(HTTPBytes.upperHex[Int(byte & 0xF)])
                } else {
                    self.buffer.append(byte)
                }
            }
        case .json:
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): self.buffer.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\\"): self.buffer.append(contentsOf: "\\\\".utf8)
                case 0x0A: self.buffer.append(contentsOf: "\\n".utf8)
                case 0x0D: self.buffer.append(contentsOf: "\\r".utf8)
                case 0x09: self.buffer.append(contentsOf: "\\t".utf8)
                case 0x08: self.buffer.append(contentsOf: "\\b".utf8)
                case 0x0C: self.buffer.append(contentsOf: "\\f".utf8)
                case 0..<0x20:
                    self.buffer.append(contentsOf: "\\u00".utf8)
                    self.buffer.append(RequestIDGenerator.hexDigits[Int(byte >> 4)])
                    self.buffer.append(RequestIDGenerator.hexDigits[Int(byte & 0xF)])
                default: self.buffer.append(byte)
                }
            }
        }
    }

    private func integer(_ value: Int) {
        if value < 0 {
            self.buffer.append(UInt8(ascii: "-"))
            return self.integer(-value)
        }
        if value >= 10 { self.integer(value / 10) }
        self.buffer.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    private func padded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            self.buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// nginx's `$request_time`: seconds with milliseconds.
    private func seconds(_ nanoseconds: Int64) {
        let milliseconds = Int(max(nanoseconds, 0) / 1_000_000)
        self.integer(milliseconds / 1000)
        self.buffer.append(UInt8(ascii: "."))
        self.padded(milliseconds % 1000, width: 3)
    }

    private func optionalSeconds(_ nanoseconds: Int64?, _ escape: AccessLogFormat.Escape) {
        if let nanoseconds { self.seconds(nanoseconds) } else { self.absent(escape) }
    }


    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `$time_local` (`02/Dec/2026:08:18:20 +0000`) and `$time_iso8601`
    /// (`2026-12-02T08:18:20+00:00`), in the process's time zone as nginx's, once a second.
    private func updateTime() {
        var now = time(nil)
        guard Int(now) != self.cachedSecond else { return }
        self.cachedSecond = Int(now)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let offset = Int(parts.tm_gmtoff) / 60
        let sign = offset < 0 ? "-" : "+"
        let hours = Int32(abs(offset) / 60)
        let minutes = Int32(abs(offset) % 60)
        let clock = "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        self.cachedLocal = Array(
            "\(two(parts.tm_mday))/\(Self.months[Int(parts.tm_mon)])/\(parts.tm_year + 1900):\(clock) \(sign)\(two(hours))\(two(minutes))".utf8)
        self.cachedISO = Array("\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(clock)\(sign)\(two(hours)):\(two(minutes))".utf8)
    }
}

@available(*, unavailable)
extension AccessLogWriter: Sendable {}
