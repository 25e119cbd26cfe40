import NIOCore
import NIOHTTP1

/// An HTTP backend that reports what it received: the page line, which endpoint answered, the
/// method, path and headers it saw, and the size and FNV-1a hash of the body. End-to-end tests
/// and the README's example read these lines to check routing, rewrites and forwarded headers.
///
/// Special paths (anywhere in the path, so they survive prefixes and rewrites):
/// `/__download/N` streams N pattern bytes; `/__sleep/MS` answers after MS milliseconds;
/// `/__chunked/N` answers N pattern bytes with chunked framing; `/__fail-on/<ip>/<status>`
/// answers `status` from the endpoint at `ip` only (the others answer normally).
final class DemoBackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoint: DemoEndpoint
    private let statistics: DemoStatistics?
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var bodyHash: UInt64 = DemoPattern.fnvOffset
    private var downloadRemaining = 0
    private var downloadOffset = 0
    private var keepAlive = true
    /// Requests served on this connection: above 1 shows the proxy reused its upstream connection.
    private var requestsOnConnection = 0

    init(endpoint: DemoEndpoint, statistics: DemoStatistics?) {
        self.endpoint = endpoint
        self.statistics = statistics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.requestsOnConnection += 1
            self.statistics?.requestStarted()
            self.statistics?.record("HEAD \(head.method) \(head.uri)")
            self.bodyBytes = 0
            self.bodyHash = DemoPattern.fnvOffset
            self.keepAlive = head.isKeepAlive
        case .body(let buffer):
            self.bodyBytes += buffer.readableBytes
            self.bodyHash = buffer.withUnsafeReadableBytes { DemoPattern.fnv1a($0, seed: self.bodyHash) }
        case .end:
            if let head = self.head { self.statistics?.record("END \(head.method) \(head.uri) \(self.bodyBytes)") }
            self.respond(context: context)
        }
    }

    private func respond(context: ChannelHandlerContext) {
        guard let head = self.head else { return }
        let path = head.uri
        // Pattern bytes, framed by Content-Length or chunked.
        for (marker, framing) in [("/__download/", "Content-Length"), ("/__chunked/", "Transfer-Encoding")] {
            guard let size = Self.number(after: marker, in: path) else { continue }
            var headers = HTTPHeaders([("Content-Type", "application/octet-stream")])
            headers.add(name: framing, value: framing == "Content-Length" ? String(size) : "chunked")
            headers.add(name: "X-Demo-Endpoint", value: "\(self.endpoint.host):\(self.endpoint.port)")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            self.downloadRemaining = size
            self.downloadOffset = 0
            self.pumpDownload(context: context)
            return
        }
        let parts = path.split(separator: "/")
        for marker in parts.indices where parts[marker] == "__fail-on" {
            if parts.count > marker + 2, parts[marker + 1] == self.endpoint.host, let code = Int(parts[marker + 2].prefix(3)) {
                let headers = HTTPHeaders([("Content-Length", "0"), ("X-Demo-Endpoint", "\(self.endpoint.host):\(self.endpoint.port)")])
                context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: code), headers: headers))), promise: nil)
                self.end(context: context)
                return
            }
        }
        if let millis = Self.number(after: "/__sleep/", in: path) {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(millis))) {
                let (handler, context) = loopBound.value
                handler.sendReport(context: context, head: head)
            }
            return
        }
        self.sendReport(context: context, head: head)
    }

    private func sendReport(context: ChannelHandlerContext, head: HTTPRequestHead) {
        var text = self.endpoint.page + "\n"
        text += "endpoint: \(self.endpoint.host):\(self.endpoint.port)\n"
        if let pod = self.endpoint.podName { text += "pod: \(pod)\n" }
        if let service = self.endpoint.service { text += "service: \(service)\n" }
        text += "method: \(head.method.rawValue)\n"
        text += "path: \(head.uri)\n"
        text += "version: \(head.version)\n"
        text += "connection-requests: \(self.requestsOnConnection)\n"
        text += "body-bytes: \(self.bodyBytes)\n"
        text += "body-fnv1a: \(String(self.bodyHash, radix: 16))\n"
        for (name, value) in head.headers { text += "header: \(name.lowercased()): \(value)\n" }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        headers.add(name: "X-Demo-Endpoint", value: "\(self.endpoint.host):\(self.endpoint.port)")
        // As real servers do (nginx, Node, Go…): the proxy decides whether it reaches the client.
        headers.add(name: "Server", value: "portico-demo")
        if !self.keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        self.end(context: context)
    }

    private func end(context: ChannelHandlerContext) {
        let keepAlive = self.keepAlive
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
        self.head = nil
    }

    private func pumpDownload(context: ChannelHandlerContext) {
        while self.downloadRemaining > 0, context.channel.isWritable {
            let size = min(self.downloadRemaining, 64 * 1024)
            var buffer = context.channel.allocator.buffer(capacity: size)
            DemoPattern.write(offset: self.downloadOffset, count: size, into: &buffer)
            self.downloadOffset += size
            self.downloadRemaining -= size
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if self.downloadRemaining == 0, self.head != nil {
            self.end(context: context)
        } else {
            context.flush()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, self.downloadRemaining > 0 { self.pumpDownload(context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static func number(after marker: String, in path: String) -> Int? {
        let bytes = Array(path.utf8)
        let needle = Array(marker.utf8)
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where Array(bytes[start..<(start + needle.count)]) == needle {
            let digits = bytes[(start + needle.count)...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            return Int(String(decoding: digits, as: UTF8.self))
        }
        return nil
    }
}

@available(*, unavailable)
extension DemoBackendHandler: Sendable {}
