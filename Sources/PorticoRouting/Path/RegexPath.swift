import PorticoRegex

/// A path rendered the way ingress-nginx renders every location of a host in regex mode:
/// `location ~* "^<path>"`, a case-insensitive PCRE match anchored at the start only.
public struct RegexPath: Hashable, Sendable {
    public let regex: CompiledRegex
    /// The path exactly as the Ingress wrote it.
    public let text: String
    /// The Ingress pathType it came from; it no longer changes how it matches (ingress-nginx
    /// issues #8208, #10020), but two paths are only duplicates if both text and type agree.
    public let pathType: String

    /// The literal text every match must start with, lower-cased (see `literalPrefix(of:)`).
    public let literalPrefix: [UInt8]

    public init(regex: CompiledRegex, text: String, pathType: String) {
        self.regex = regex
        self.text = text
        self.pathType = pathType
        self.literalPrefix = Self.literalPrefix(of: text)
    }

    /// The leading literal of a pattern: bytes up to the first metacharacter, minus the last
    /// one if a quantifier follows it (`/ab?` must not require the `b`); empty if the pattern
    /// has a top-level alternation. `/svc-0042/(.*)` gives `/svc-0042/`.
    static func literalPrefix(of pattern: String) -> [UInt8] {
        let bytes = Array(pattern.utf8)
        var depth = 0
        var inClass = false
        var escaped = false
        for byte in bytes {
            if escaped { escaped = false; continue }
            switch byte {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: "["): inClass = true
            case UInt8(ascii: "]"): inClass = false
            case UInt8(ascii: "(") where !inClass: depth += 1
            case UInt8(ascii: ")") where !inClass: depth -= 1
            case UInt8(ascii: "|") where !inClass && depth == 0: return []
            default: break
            }
        }
        var prefix: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            guard byte < 0x80, !"\\^$.|?*+()[]{}".utf8.contains(byte) else {
                if "?*+{".utf8.contains(byte), !prefix.isEmpty, index == prefix.count { prefix.removeLast() }
                break
            }
            prefix.append(HostBytes.lower(byte))
        }
        return prefix
    }

    /// False only when the subject certainly cannot match: an ASCII byte of it differs (case
    /// folded) from the literal prefix. A non-ASCII byte defers to PCRE2, whose caseless UTF
    /// matching folds some of them to ASCII letters (U+212A KELVIN SIGN to `k`).
    @inlinable
    public func mayMatch(_ subject: UnsafeRawBufferPointer) -> Bool {
        let prefix = self.literalPrefix
        guard subject.count >= prefix.count else { return false }
        for index in 0..<prefix.count {
            let byte = subject[index]
            if byte >= 0x80 { return true }
            if HostBytes.lower(byte) != prefix[index] { return false }
        }
        return true
    }

    public static func == (lhs: RegexPath, rhs: RegexPath) -> Bool {
        lhs.text == rhs.text && lhs.pathType == rhs.pathType
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.text)
        hasher.combine(self.pathType)
    }
}
