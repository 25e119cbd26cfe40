import PorticoRegex

/// A `nginx.ingress.kubernetes.io/rewrite-target` value, parsed once.
///
/// ingress-nginx renders it as `rewrite "(?i)<path>" <target> break;`: the *whole* request path
/// is replaced by the target, `$1`…`$9` taken from the path regex's captures, and nginx appends
/// the original query string (the target cannot contain `?`). The result is re-escaped before it
/// goes upstream, as nginx does (`NGX_ESCAPE_URI`), so a decoded `%2F` in a capture arrives as `/`.
public struct RewriteTemplate: Hashable, Sendable, CustomStringConvertible {
    enum Part: Hashable, Sendable {
        case literal([UInt8])
        case capture(Int)
        /// The matched path from this offset on (a Gateway API `ReplacePrefixMatch`).
        case rest(from: Int)
    }

    let parts: [Part]
    /// The annotation value as written.
    public let text: String

    public var description: String { self.text }

    /// Parses a target, or explains why it is refused: ingress-nginx accepts only
    /// `^/?[-._~a-zA-Z0-9/:$]*$` (its `RegexPathWithCapture` validator), and nginx knows `$n`
    /// captures but no other variable in this position that Portico could honour.
    public static func parse(_ target: String) -> Result<RewriteTemplate, RewriteTemplateError> {
        var parts: [Part] = []
        var literal: [UInt8] = []
        let bytes = Array(target.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let allowed = HostBytes.isLabelByte(byte) || "._~/:$".utf8.contains(byte)
            guard allowed else { return .failure(.invalidCharacter(target, Character(UnicodeScalar(byte)))) }
            if byte == UInt8(ascii: "$") {
                guard index + 1 < bytes.count, let digit = Self.digit(bytes[index + 1]) else {
                    return .failure(.unsupportedVariable(target))
                }
                if !literal.isEmpty {
                    parts.append(.literal(literal))
                    literal = []
                }
                parts.append(.capture(digit))
                index += 2
                continue
            }
            literal.append(byte)
            index += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return .success(RewriteTemplate(parts: parts, text: target))
    }

    /// A Gateway API `ReplaceFullPath`: the whole path replaced by `path`, the query kept.
    public static func fullPath(_ path: String) -> RewriteTemplate {
        RewriteTemplate(parts: [.literal(Array(path.utf8))], text: "ReplaceFullPath \(path)")
    }

    /// A Gateway API `ReplacePrefixMatch` on a `PathPrefix` match of `prefix` (stored without
    /// its trailing `/`): the matched elements give way to `replacement`, a trailing `/` of
    /// which is dropped, and what follows them stays (`/foo/bar` with `/foo` → `/xyz` is
    /// `/xyz/bar`; an empty result is `/`; `HTTPPathModifier` in gateway.networking.k8s.io/v1).
    public static func replacingPrefix(_ prefix: [UInt8], with replacement: String) -> RewriteTemplate {
        var literal = Array(replacement.utf8)
        while literal.last == UInt8(ascii: "/") { literal.removeLast() }
        let offset = prefix == [UInt8(ascii: "/")] ? 0 : prefix.count
        return RewriteTemplate(parts: [.literal(literal), .rest(from: offset)], text: "ReplacePrefixMatch \(replacement)")
    }

    /// The highest capture the target refers to.
    public var highestCapture: Int {
        self.parts.reduce(0) { result, part in
            if case .capture(let group) = part { return max(result, group) }
            return result
        }
    }

    /// Writes the rewritten path, URI-escaped, to `out`. `subject` is the path the regex matched
    /// and `captures` holds that match.
    public func apply(subject: UnsafeRawBufferPointer, captures: RegexMatchData, into out: inout [UInt8]) {
        for part in self.parts {
            switch part {
            case .literal(let bytes):
                out.append(contentsOf: bytes)
            case .capture(let group):
                guard let range = captures.range(of: group), range.upperBound <= subject.count else { continue }
                for byte in subject[range] { Self.appendEscaped(byte, to: &out) }
            case .rest(let offset):
                guard offset < subject.count else { continue }
                for byte in subject[offset...] { Self.appendEscaped(byte, to: &out) }
            }
        }
        if out.isEmpty { out.append(UInt8(ascii: "/")) }
    }

    /// Percent-encodes what may not appear raw in a request path (controls, space, non-ASCII and
    /// the delimiters nginx's `NGX_ESCAPE_URI` escapes); `/` stays as it is.
    @inline(__always)
    static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        if byte <= 0x20 || byte >= 0x7F || Self.isEscapedDelimiter(byte) {
            out.append(UInt8(ascii: "%"))
            out.append(Self.hexDigit(byte >> 4))
            out.append(Self.hexDigit(byte & 0xF))
        } else {
            out.append(byte)
        }
    }

    /// `"#%'<>?\^`{|}`.
    @inline(__always)
    static func isEscapedDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x22, 0x23, 0x25, 0x27, 0x3C, 0x3E, 0x3F, 0x5C, 0x5E, 0x60, 0x7B, 0x7C, 0x7D: true
        default: false
        }
    }

    /// An upper-case hex digit, without a lookup table (nothing allocated per escaped byte).
    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }

    static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }
}

public enum RewriteTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidCharacter(String, Character)
    case unsupportedVariable(String)

    public var description: String {
        switch self {
        case .invalidCharacter(let target, let character):
            "\"\(target)\" contains \"\(character)\"; ingress-nginx allows only letters, digits, -._~/: and $1…$9 here (it would silently drop this target)"
        case .unsupportedVariable(let target):
            "\"\(target)\": only $0…$9 captures can be used in rewrite-target"
        }
    }
}
