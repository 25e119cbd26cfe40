import NIOCore
import PorticoRouting

/// Rewrites an upstream response head for the client when it must change: hop-by-hop fields
/// removed (RFC 9110 §7.6.1), `Connection: close` or `keep-alive` added for this hop, and the
/// chunked coding dropped when the body is de-chunked for an HTTP/1.0 client, the route's
/// answer fields (CORS) put in place of the upstream's. Otherwise the
/// upstream's head bytes go to the client untouched.
enum ResponseHeadWriter {
    enum ConnectionField {
        /// `upgrade`: a 101 must say so on this hop too (RFC 9110 §7.8; RFC 6455 §4.1 makes a
        /// WebSocket client fail without it).
        case none, close, keepAlive, upgrade
    }

    static func rewrite(
        _ headBytes: ByteBuffer,
        _ head: ResponseHead,
        connection: ConnectionField,
        dropChunked: Bool,
        hsts: [UInt8]?,
        server: String = "",
        extraFields: String? = nil,
        answerFields: ByteBuffer? = nil,
        dropsCORS: Bool = false,
        droppedNames: [[UInt8]] = [],
        locationRewrite: LocationRewrite? = nil,
        into out: consuming ByteBuffer
    ) -> ByteBuffer {
        // `consuming`: the caller's buffer is this one, not a second reference that would make
        // the first write copy it.
        out.reserveCapacity(headBytes.readableBytes + 32 + (answerFields?.readableBytes ?? 0))
        let replacesCORS = dropsCORS
        headBytes.withUnsafeReadableBytes { bytes in
            let statusLineEnd = head.fields.first?.lineStart ?? (head.headLength - 2)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<statusLineEnd]))
            for field in head.fields {
                switch field.kind {
                case .connection, .hopByHop:
                    continue
                case .transferEncoding where dropChunked:
                    continue
                case .contentLength where head.isChunked:
                    continue  // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length
                case .strictTransportSecurity where hsts != nil:
                    continue
                case .server:
                    continue
                case .accessControl where replacesCORS:
                    continue
                case .location where locationRewrite.map({ Self.starts(bytes, field, with: $0.from) }) ?? false:
                    // proxy_redirect: the prefix replaced, the rest kept.
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.lineStart..<field.valueStart]))
                    out.writeBytes(locationRewrite!.to)
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[(field.valueStart + locationRewrite!.from.count)..<field.valueEnd]))
                    out.writeStaticString("\r\n")
                case _ where !droppedNames.isEmpty && droppedNames.contains(where: { UpstreamRequestWriter.isNamed(bytes, field, $0) }):
                    continue  // more_set_headers / more_clear_headers
                default:
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.lineStart..<field.valueEnd]))
                    out.writeStaticString("\r\n")
                }
            }
        }
        switch connection {
        case .none: break
        case .close: out.writeStaticString("Connection: close\r\n")
        case .keepAlive: out.writeStaticString("Connection: keep-alive\r\n")
        case .upgrade: out.writeStaticString("Connection: upgrade\r\n")
        }
        if let hsts { out.writeBytes(hsts) }
        if !server.isEmpty { out.writeString(server) }
        if let extraFields { out.writeString(extraFields) }
        if let answerFields { out.writeImmutableBuffer(answerFields) }
        out.writeStaticString("\r\n")
        return out
    }

    static func starts(_ bytes: UnsafeRawBufferPointer, _ field: HeaderField, with prefix: [UInt8]) -> Bool {
        field.valueEnd - field.valueStart >= prefix.count && bytes[field.valueStart..<(field.valueStart + prefix.count)].elementsEqual(prefix)
    }
}
