import NIOHPACK
import PorticoRouting

extension HPACKHeaders {
    /// An HTTP/1.1 field line as an HTTP/2 field: the name lower-cased (RFC 9113 §8.2.1).
    mutating func add(field: HeaderField, from bytes: UnsafeRawBufferPointer) {
        // Lower-cased straight into the String's storage: decoding a lazily mapped sequence
        // takes the non-contiguous path, which allocates a scratch buffer per name.
        let start = field.lineStart
        let name = String(unsafeUninitializedCapacity: field.nameEnd - start) { name in
            for offset in name.indices { name[offset] = HostBytes.lower(bytes[start + offset]) }
            return name.count
        }
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
