import NIOCore
import PorticoRouting

/// The head of a mirror copy whose target, `Host` or body differ from the upstream's
/// (`mirror-target`, `mirror-host`, `mirror-request-body: off`): the upstream's head, which
/// Portico wrote and so is well-formed, with the request target replaced, `Host` replaced, and
/// without its body framing when the copy has no body.
enum MirrorHeadWriter {
    /// `requestTarget` is the client's (for `$request_uri`), `query` its `?…` part (for a fixed
    /// path), both as received.
    static func write(
        _ head: UnsafeRawBufferPointer, mirror: MirrorPolicy, requestTarget: UnsafeRawBufferPointer, query: UnsafeRawBufferPointer,
        into out: inout ByteBuffer
    ) {
        guard let lineEnd = Self.crlf(in: head, from: 0),
            let firstSpace = head[..<lineEnd].firstIndex(of: UInt8(ascii: " ")),
            let lastSpace = head[..<lineEnd].lastIndex(of: UInt8(ascii: " ")), lastSpace > firstSpace
        else {
            out.writeBytes(head)
            return
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: head[..<(firstSpace + 1)]))
        switch mirror.path {
        case .asUpstream: out.writeBytes(UnsafeRawBufferPointer(rebasing: head[(firstSpace + 1)..<lastSpace]))
        case .fixed(let path):
            out.writeBytes(path)
            out.writeBytes(query)
        case .template(let pieces):
            for (index, piece) in pieces.enumerated() {
                if index > 0 { out.writeBytes(requestTarget) }
                out.writeBytes(piece)
            }
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: head[lastSpace..<(lineEnd + 2)]))
        var start = lineEnd + 2
        while let end = Self.crlf(in: head, from: start), end > start {
            let line = UnsafeRawBufferPointer(rebasing: head[start..<end])
            let dropped =
                (mirror.host != nil && Self.isNamed(line, "host"))
                || (!mirror.withBody && (Self.isNamed(line, "content-length") || Self.isNamed(line, "transfer-encoding")))
            if !dropped { out.writeBytes(UnsafeRawBufferPointer(rebasing: head[start..<(end + 2)])) }
            start = end + 2
        }
        if let host = mirror.host {
            out.writeStaticString("Host: ")
            out.writeBytes(host)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
    }

    static func crlf(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }

    /// Whether a field line's name is `name` (lower-case), case-insensitively.
    static func isNamed(_ line: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard line.count > count, line[count] == UInt8(ascii: ":") else { return false }
        return name.withUTF8Buffer { expected in
            (0..<count).allSatisfy { line[$0] | 0x20 == expected[$0] }
        }
    }
}
