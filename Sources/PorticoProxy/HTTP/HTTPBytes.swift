/// Byte classes from RFC 9110 §5.6.2 (tokens) and §5.5 (field values), as lookup tables so the
/// parsers test one byte with one load.
enum HTTPBytes {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let sp = UInt8(ascii: " ")
    static let htab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    /// Upper-case hex digits, as nginx's escapes write them.
    static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// `tchar`: the bytes allowed in methods and field names.
    static let tokenTable: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool { Self.tokenTable[Int(byte)] }

    /// Calls `body` with the bounds of each element of a comma-separated field value (RFC 9110
    /// §5.6.1), optional whitespace trimmed; empty elements are skipped. Stops early when `body`
    /// returns false, and returns false then.
    @inline(__always)
    @discardableResult
    static func forEachListElement(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Int, Int) -> Bool) -> Bool {
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start
            while end < range.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var a = start
            var b = end
            while a < b, bytes[a] == Self.sp || bytes[a] == Self.htab { a += 1 }
            while b > a, bytes[b - 1] == Self.sp || bytes[b - 1] == Self.htab { b -= 1 }
            if b > a, !body(a, b) { return false }
            start = end + 1
        }
        return true
    }

    /// Field-value bytes: HTAB, SP, VCHAR and obs-text; never CR, LF, NUL or other controls.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == Self.htab || (byte >= 0x20 && byte != 0x7F)
    }

    /// request-target bytes: visible ASCII only (RFC 9112 §3.2 with RFC 3986's characters).
    @inline(__always)
    static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// ASCII case-insensitive comparison of `bytes[range]` with a lower-case literal.
    @inline(__always)
    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let pointer = literal.utf8Start
        for offset in 0..<(end - start) where (bytes[start + offset] | 0x20) != pointer[offset] {
            // `| 0x20` folds A-Z; the literal only holds lowercase letters, digits and '-', whose
            // folded forms are unchanged except that '-' (0x2D) stays 0x2D and digits stay.
            return false
        }
        return true
    }

    /// Parses a decimal number without sign; nil on any other byte, empty input or overflow
    /// past 2^53 (more than any body we would accept).
    static func parseDecimal(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        guard start < end, end - start <= 16 else { return nil }
        var value = 0
        for index in start..<end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}
