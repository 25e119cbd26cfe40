import PorticoPasswords
import PorticoRouting

/// The request facts an access-log line needs after the head bytes are gone — the request
/// line, the host, `X-Request-ID`, the Basic-auth user, and the field values the format's
/// `$http_*` variables name — copied into one reusable array per connection (no allocation
/// once it has grown). Only filled while an access log is on.
struct RequestLogRecord {
    private(set) var bytes: [UInt8] = []
    private(set) var methodEnd = 0
    private(set) var targetEnd = 0
    private(set) var hostEnd = 0
    /// Ranges in `bytes`; nil: the request did not send it.
    private(set) var fields: [Range<Int>?] = []
    private(set) var requestID: Range<Int>?
    private(set) var user: Range<Int>?
    var isHTTP11 = true
    /// The request came on an HTTP/2 stream (nginx logs `HTTP/2.0`).
    var isHTTP2 = false
    /// False for a request refused before its head was parsed (`$request` is `-`).
    private(set) var parsed = false
    /// The client address the forwarding settings believe (nginx's realip `$remote_addr`),
    /// when it is not the peer.
    var realClient: String?

    /// nginx's `$server_protocol`.
    var serverProtocol: StaticString { self.isHTTP2 ? "HTTP/2.0" : self.isHTTP11 ? "HTTP/1.1" : "HTTP/1.0" }

    mutating func record(_ head: RequestHead, _ bytes: UnsafeRawBufferPointer, format: AccessLogFormat) {
        self.bytes.removeAll(keepingCapacity: true)
        self.fields.removeAll(keepingCapacity: true)
        self.realClient = nil
        self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<head.methodEnd]))
        self.methodEnd = self.bytes.count
        self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[head.targetStart..<head.targetEnd]))
        self.targetEnd = self.bytes.count
        if let host = head.authority ?? head.hostValue {
            self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[host]))
        }
        self.hostEnd = self.bytes.count
        self.isHTTP11 = head.isHTTP11
        self.parsed = true
        self.requestID = head.requestID.map { self.copy(bytes[$0]) }
        for name in format.fields {
            self.fields.append(Self.value(of: name, in: head, bytes).map { self.copy(bytes[$0]) })
        }
        self.user = nil
        if format.readsRemoteUser, let authorization = head.authorization {
            self.user = self.basicUser(bytes[authorization])
        }
    }

    /// For requests refused before their head could be parsed.
    mutating func recordUnparsed() {
        self.parsed = false
        self.bytes = Array("--".utf8)
        self.methodEnd = 1
        self.targetEnd = 2
        self.hostEnd = 2
        self.fields.removeAll(keepingCapacity: true)
        self.requestID = nil
        self.user = nil
        self.realClient = nil
    }

    private mutating func copy(_ slice: Slice<UnsafeRawBufferPointer>) -> Range<Int> {
        let start = self.bytes.count
        self.bytes.append(contentsOf: slice)
        return start..<self.bytes.count
    }

    /// nginx's `$remote_user`: the user of `Authorization: Basic`, whatever its password.
    private mutating func basicUser(_ value: Slice<UnsafeRawBufferPointer>) -> Range<Int>? {
        guard value.count > 6, value.prefix(6).map(HostBytes.lower).elementsEqual("basic ".utf8),
            let decoded = Base64.decode(value.dropFirst(6).drop { $0 == HTTPBytes.sp })
        else { return nil }
        let start = self.bytes.count
        self.bytes.append(contentsOf: decoded.prefix { $0 != UInt8(ascii: ":") })
        return start..<self.bytes.count
    }

    static func value(of name: [UInt8], in head: RequestHead, _ bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        for field in head.fields
        where field.nameEnd - field.lineStart == name.count && name.elementsEqual(bytes[field.lineStart..<field.nameEnd].lazy.map(HostBytes.lower)) {
            return field.valueStart..<field.valueEnd
        }
        return nil
    }

    func withParts<T>(_ body: (_ method: UnsafeRawBufferPointer, _ target: UnsafeRawBufferPointer, _ host: UnsafeRawBufferPointer) -> T) -> T {
        self.bytes.withUnsafeBytes { all in
            body(
                UnsafeRawBufferPointer(rebasing: all[0..<self.methodEnd]),
                UnsafeRawBufferPointer(rebasing: all[self.methodEnd..<self.targetEnd]),
                UnsafeRawBufferPointer(rebasing: all[self.targetEnd..<self.hostEnd]))
        }
    }
}
