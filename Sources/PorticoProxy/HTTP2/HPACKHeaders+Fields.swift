import NIOHPACK
import PorticoRouting

extension HPACKHeaders {
    /// An HTTP/1.1 field line as an HTTP/2 field: the name lower-cased (RFC 9113 §8.2.1).
    mutating func add(field: HeaderField, from bytes: UnsafeRawBufferPointer) {
        let name = String(decoding: bytes[field.lineStart..<field.nameEnd].lazy.map(HostBytes.lower), as: UTF8.self)
        self.add(name: name, value: String(decoding: bytes[field.valueStart..<field.valueEnd], as: UTF8.self))
    }
}

extension HeaderKind {
    /// Fields HTTP/2 does not carry (RFC 9113 §8.2.2): `connection`, `keep-alive`,
    /// `proxy-connection`, `transfer-encoding`, `upgrade`, `te`.
    var isConnectionSpecific: Bool {
        switch self {
        case .connection, .transferEncoding, .upgrade, .hopByHop: true
        default: false
        }
    }
}
