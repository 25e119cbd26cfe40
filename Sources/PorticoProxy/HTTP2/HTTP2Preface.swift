import NIOCore

/// The HTTP/2 connection preface (RFC 9113 §3.4), recognised on the plain port as nginx's
/// `http2 on` recognises it: a client with prior knowledge starts with it instead of a request
/// line. An HTTP/1.1 request never starts this way (`PRI` is no method a client sends).
enum HTTP2Preface {
    static let bytes: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum Match: Equatable {
        /// The bytes so far begin the preface; wait for the rest.
        case partial
        case whole
        case none
    }

    static func match(_ buffer: ByteBuffer) -> Match {
        buffer.withUnsafeReadableBytes { bytes in
            let count = min(bytes.count, Self.bytes.count)
            guard bytes.prefix(count).elementsEqual(Self.bytes.prefix(count)) else { return .none }
            return count == Self.bytes.count ? .whole : .partial
        }
    }
}
