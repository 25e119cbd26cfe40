/// Turns a request path into the form routes are matched against, as nginx's `$uri` is:
/// percent-decoded, `//` merged, `.` and `..` segments resolved (RFC 3986 §5.2.4).
///
/// Matching the raw bytes instead would let `/./admin` or `/%61dmin` slip past an `Exact /admin`
/// route that an operator relies on. The raw target is still what goes upstream when no rewrite
/// applies, as with nginx. Works in a caller-owned scratch buffer, so it allocates nothing once
/// the buffer has grown.
public enum PathNormalizer {
    public enum Outcome: Equatable {
        /// The raw path is already normal: match it directly.
        case unchanged
        /// The normal form was written to the scratch buffer.
        case normalized
        /// `..` above the root, a bad `%` escape or an encoded NUL: nginx answers 400.
        case invalid
    }

    /// Quick check: does `path` need any work at all?
    @inlinable
    public static func isNormal(_ path: UnsafeRawBufferPointer) -> Bool {
        var previous: UInt8 = 0
        for byte in path {
            if byte == UInt8(ascii: "%") { return false }
            if previous == UInt8(ascii: "/") && (byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".")) {
                return false
            }
            previous = byte
        }
        return true
    }

    /// Normalises `path` (starting with `/`, no query) into `scratch`: percent-decoded into it,
    /// then slashes merged and dot segments resolved in place (the output never outgrows what
    /// it was read from), so nothing is allocated once `scratch` has grown.
    public static func normalize(_ path: UnsafeRawBufferPointer, into scratch: inout [UInt8]) -> Outcome {
        if Self.isNormal(path) { return .unchanged }
        scratch.removeAll(keepingCapacity: true)
        // First pass: percent-decode.
        var index = 0
        while index < path.count {
            let byte = path[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < path.count, let high = Self.hexValue(path[index + 1]),
                    let low = Self.hexValue(path[index + 2])
                else { return .invalid }
                let value = high << 4 | low
                if value == 0 { return .invalid }
                scratch.append(value)
                index += 3
            } else {
                scratch.append(byte)
                index += 1
            }
        }
        // Second pass, in place: merge slashes and resolve dot segments.
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        let count = scratch.count
        let written = scratch.withUnsafeMutableBufferPointer { buffer -> Int? in
            var write = 0
            var read = 0
            while read < count {
                // `buffer[read]` is a '/' (paths start with '/', and each step stops on one).
                var end = read + 1
                while end < count && buffer[end] != slash { end += 1 }
                let length = end - read - 1
                let isLast = end >= count
                if length == 0 || (length == 1 && buffer[read + 1] == dot) {
                    // `//` or `/.`: nothing, but a trailing slash is kept.
                } else if length == 2 && buffer[read + 1] == dot && buffer[read + 2] == dot {
                    // `/..`: drop the last segment written; above the root is invalid.
                    guard write > 0 else { return nil }
                    write -= 1
                    while write > 0 && buffer[write] != slash { write -= 1 }
                } else {
                    buffer[write] = slash
                    for offset in 0..<length { buffer[write + 1 + offset] = buffer[read + 1 + offset] }
                    write += 1 + length
                    read = end
                    continue
                }
                if isLast {
                    buffer[write] = slash
                    write += 1
                }
                read = end
            }
            return write
        }
        guard let written else { return .invalid }
        scratch.removeLast(count - written)
        if scratch.isEmpty { scratch.append(slash) }
        return .normalized
    }

    /// Convenience for tests: the normal form as a String, or nil when invalid.
    public static func normalize(_ path: String) -> String? {
        var path = path
        var scratch: [UInt8] = []
        let outcome = path.withUTF8 { Self.normalize(UnsafeRawBufferPointer($0), into: &scratch) }
        switch outcome {
        case .unchanged: return path
        case .normalized: return String(decoding: scratch, as: UTF8.self)
        case .invalid: return nil
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
