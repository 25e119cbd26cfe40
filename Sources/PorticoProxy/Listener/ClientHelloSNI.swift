import PorticoRouting

/// The server name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), read off the first
/// record without terminating anything: what `ssl-passthrough` routes on, as ingress-nginx's
/// TCP proxy (`pkg/tcpproxy`) reads it.
enum ClientHelloSNI {
    enum Result: Equatable {
        /// Not enough bytes yet for the first record.
        case incomplete
        /// The ClientHello's `host_name`, lower-cased, without a trailing dot.
        case name(String)
        /// A ClientHello without SNI, or not a ClientHello in one record: not passed through.
        case none
    }

    /// The largest first record waited for (a record is at most 2^14 bytes plus its header).
    static let maxRecord = 5 + 16384

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        guard bytes.count >= 5 else { return bytes.isEmpty || bytes[0] == 0x16 ? .incomplete : .none }
        guard bytes[0] == 0x16, bytes[1] == 3 else { return .none }  // handshake record, TLS
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        guard length <= 16384 else { return .none }
        guard bytes.count >= 5 + length else { return .incomplete }
        var reader = Reader(bytes: UnsafeRawBufferPointer(rebasing: bytes[5..<(5 + length)]))
        guard reader.byte() == 1, let messageLength = reader.number(3), messageLength <= reader.remaining,
            reader.skip(2 + 32),  // legacy_version, random
            let session = reader.number(1), reader.skip(session),
            let suites = reader.number(2), reader.skip(suites),
            let compressions = reader.number(1), reader.skip(compressions),
            let extensionsLength = reader.number(2), extensionsLength <= reader.remaining
        else { return .none }
        var extensions = Reader(bytes: reader.take(extensionsLength))
        while extensions.remaining >= 4 {
            guard let type = extensions.number(2), let size = extensions.number(2), size <= extensions.remaining else { return .none }
            let body = extensions.take(size)
            guard type == 0 else { continue }  // server_name
            var list = Reader(bytes: body)
            guard let listLength = list.number(2), listLength <= list.remaining else { return .none }
            while list.remaining >= 3 {
                guard let kind = list.byte(), let nameLength = list.number(2), nameLength <= list.remaining else { return .none }
                let name = list.take(nameLength)
                guard kind == 0 else { continue }  // host_name
                var end = name.count
                if end > 0, name[end - 1] == UInt8(ascii: ".") { end -= 1 }
                guard end > 0, name[0..<end].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return .none }
                return .name(String(decoding: name[0..<end].lazy.map(HostBytes.lower), as: UTF8.self))
            }
            return .none
        }
        return .none
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var remaining: Int { self.bytes.count - self.index }

        mutating func byte() -> UInt8? {
            guard self.remaining >= 1 else { return nil }
            defer { self.index += 1 }
            return self.bytes[self.index]
        }

        mutating func number(_ width: Int) -> Int? {
            guard self.remaining >= width else { return nil }
            var value = 0
            for _ in 0..<width { value = value << 8 | Int(self.bytes[self.index]); self.index += 1 }
            return value
        }

        mutating func skip(_ count: Int) -> Bool {
            guard count <= self.remaining else { return false }
            self.index += count
            return true
        }

        mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
            let count = min(count, self.remaining)
            defer { self.index += count }
            return UnsafeRawBufferPointer(rebasing: self.bytes[self.index..<(self.index + count)])
        }
    }
}
