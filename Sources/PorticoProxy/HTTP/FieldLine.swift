/// One `field-name: field-value CRLF` line (RFC 9112 §5), scanned the same way in requests and
/// responses: a token name, a colon with no whitespace before it, optional whitespace, a value
/// of field-value bytes only (no bare CR or LF, no NUL), and CRLF. Trailing whitespace is not
/// part of the value.
enum FieldLine {
    /// Scans the line at `start` of a head known to end in CRLFCRLF. Returns the field and the
    /// index after its CRLF, or nil when the line is malformed.
    @inline(__always)
    static func scan(_ bytes: UnsafeRawBufferPointer, at start: Int) -> (field: HeaderField, next: Int)? {
        var index = start
        while HTTPBytes.isToken(bytes[index]) { index += 1 }
        guard index > start, bytes[index] == HTTPBytes.colon else { return nil }
        let nameEnd = index
        index += 1
        while bytes[index] == HTTPBytes.sp || bytes[index] == HTTPBytes.htab { index += 1 }
        let valueStart = index
        while HTTPBytes.isFieldValueByte(bytes[index]) { index += 1 }
        guard bytes[index] == HTTPBytes.cr, bytes[index + 1] == HTTPBytes.lf else { return nil }
        var valueEnd = index
        while valueEnd > valueStart, bytes[valueEnd - 1] == HTTPBytes.sp || bytes[valueEnd - 1] == HTTPBytes.htab {
            valueEnd -= 1
        }
        let kind = HeaderKind.classify(bytes, start, nameEnd)
        return (HeaderField(lineStart: start, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd, kind: kind), index + 2)
    }
}
