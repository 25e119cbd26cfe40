/// Percent-encoding (RFC 3986 §2.1, upper-case hex as nginx writes it) for values Portico puts
/// in fields: `grpc-message` (gRPC's PROTOCOL-HTTP2.md: printable ASCII but `%` as is) and
/// `ssl-client-cert` (nginx's `$ssl_client_escaped_cert`: only unreserved characters as is).
enum PercentEncoding {
    static func encode(_ text: String, keeping kept: (UInt8) -> Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if kept(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(HTTPBytes.upperHex[Int(byte >> 4)])
                bytes.append(HTTPBytes.upperHex[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 3986 unreserved characters.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}
