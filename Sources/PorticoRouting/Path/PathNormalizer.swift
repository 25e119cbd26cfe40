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

    /// Normalises `path` (starting with `/`, no query) into `scratch`.
    public static func normalize(_ path: UnsafeRawBufferPointer, into scratch: inout [UInt8]) -> Outcome {
        if Self.isNormal(path) { return .unchanged }
        scratch.removeAll(keepingCapacity: true)
        // First pass: percent-decode.
        var decoded: [UInt8] = []
        decoded.reserveCapacity(path.count)
        var index = 0
        while index < path.count {
            let byte = path[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < path.count, let high = Self.hexValue(path[index + 1]),
                    let low = Self.hexValue(path[index + 2])
                else { return .invalid }
                let value = high << 4 | low
                if value == 0 { return .invalid }
                decoded.append(value)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        // Second pass: merge slashes and resolve dot segments.
        var segmentStarts: [Int] = []
        var cursor = 0
        while cursor < decoded.count {
            // `decoded[cursor]` is a '/' (paths start with '/', and we stop on each '/').
            var end = cursor + 1
            while end < decoded.count && decoded[end] != UInt8(ascii: "/") { end += 1 }
            let segment = decoded[(cursor + 1)..<end]
            let isLast = end >= decoded.count
            if segment.isEmpty {
                if isLast { scratch.append(UInt8(ascii: "/")) }  // keep a trailing slash
            } else if segment.elementsEqual([UInt8(ascii: ".")]) {
                if isLast { scratch.append(UInt8(ascii: "/")) }
            } else if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                guard let start = segmentStarts.popLast() else { return .invalid }
                scratch.removeSubrange(start...)
                if isLast { scratch.append(UInt8(ascii: "/")) }
            } else {
                segmentStarts.append(scratch.count)
                scratch.append(UInt8(ascii: "/"))
                scratch.append(contentsOf: segment)
            }
            cursor = end
        }
        if scratch.isEmpty { scratch.append(UInt8(ascii: "/")) }
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
