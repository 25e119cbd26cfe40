/// Standard base64 (RFC 4648 §4) for `Authorization: Basic` and the `{SHA}`/`{SSHA}` hashes.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in Self.alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = Int(bytes[index])
            let b1 = index + 1 < bytes.count ? Int(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? Int(bytes[index + 2]) : 0
            out.append(Self.alphabet[b0 >> 2])
            out.append(Self.alphabet[(b0 & 3) << 4 | b1 >> 4])
            out.append(index + 1 < bytes.count ? Self.alphabet[(b1 & 0xF) << 2 | b2 >> 6] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? Self.alphabet[b2 & 0x3F] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }

    /// Nil for bytes outside the alphabet; `=` padding is optional.
    public static func decode<Bytes: Collection<UInt8>>(_ text: Bytes) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator = 0
        var bits = 0
        var padding = false
        for byte in text {
            if byte == UInt8(ascii: "=") {
                padding = true
                continue
            }
            let value = Self.values[Int(byte)]
            guard value != 0xFF, !padding else { return nil }
            accumulator = accumulator << 6 | Int(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> bits) & 0xFF))
            }
        }
        return out
    }
}
