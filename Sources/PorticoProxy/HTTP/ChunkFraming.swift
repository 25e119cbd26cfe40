import NIOCore

/// Writing the chunked transfer coding (RFC 9112 §7.1), for the bodies Portico frames itself
/// (an HTTP/2 request without `content-length`, a gRPC answer read off HTTP/2 frames): the size
/// line in hex straight into the buffer, no String per chunk.
enum ChunkFraming {
    /// `size` in hex, CRLF, the bytes, CRLF; nothing for an empty `data`.
    static func write(_ data: inout ByteBuffer, into out: inout ByteBuffer) {
        let count = data.readableBytes
        guard count > 0 else { return }
        var shift = (Int.bitWidth - count.leadingZeroBitCount + 3) / 4 * 4 - 4
        while shift >= 0 {
            out.writeInteger(RequestIDGenerator.hexDigits[(count >> shift) & 0xF])
            shift -= 4
        }
        out.writeStaticString("\r\n")
        out.writeBuffer(&data)
        out.writeStaticString("\r\n")
    }

    /// The last chunk with an empty trailer section.
    static func writeEnd(into out: inout ByteBuffer) { out.writeStaticString("0\r\n\r\n") }
}
