/// Byte-level helpers for Host header values, used on the request path without building Strings.
public enum HostBytes {
    @inlinable
    public static func lower(_ byte: UInt8) -> UInt8 {
        (byte &- UInt8(ascii: "A")) < 26 ? byte | 0x20 : byte
    }

    /// Letters, digits and '-' (DNS label bytes); `_` is also accepted, as ingress-nginx's
    /// wildcard regex `[\w-]+` does.
    @inlinable
    public static func isLabelByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// Returns the host part of a Host header value: the port is removed (matching ignores it,
    /// RFC 9110 §7.2), as is one trailing dot (nginx `ngx_http_validate_host`). `nil` when the
    /// value is not a valid host (nginx answers such requests 400).
    public static func hostRange(of value: UnsafeRawBufferPointer) -> Range<Int>? {
        var end = value.count
        guard end > 0 else { return nil }
        if value[0] == UInt8(ascii: "[") {
            // IP-literal: "[v6]" or "[v6]:port".
            guard let close = value.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            if close + 1 < end {
                guard value[close + 1] == UInt8(ascii: ":"), Self.isPort(value, from: close + 2, to: end) else {
                    return nil
                }
            }
            for index in 1..<close {
                let byte = value[index]
                guard byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") || Self.isHexDigit(byte) else {
                    return nil
                }
            }
            return 0..<(close + 1)
        }
        if let colon = value.firstIndex(of: UInt8(ascii: ":")) {
            guard Self.isPort(value, from: colon + 1, to: end) else { return nil }
            end = colon
        }
        if end > 0, value[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard end > 0 else { return nil }
        var previousDot = true
        for index in 0..<end {
            let byte = value[index]
            if byte == UInt8(ascii: ".") {
                if previousDot { return nil }  // ".." or a leading dot
                previousDot = true
            } else {
                guard Self.isLabelByte(byte) else { return nil }
                previousDot = false
            }
        }
        return 0..<end
    }

    static func isPort(_ value: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        guard start < end, end - start <= 5 else { return false }
        for index in start..<end where !(value[index] >= UInt8(ascii: "0") && value[index] <= UInt8(ascii: "9")) {
            return false
        }
        return true
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }
}
