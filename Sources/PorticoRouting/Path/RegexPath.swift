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

    public init(regex: CompiledRegex, text: String, pathType: String) {
        self.regex = regex
        self.text = text
        self.pathType = pathType
    }

    public static func == (lhs: RegexPath, rhs: RegexPath) -> Bool {
        lhs.text == rhs.text && lhs.pathType == rhs.pathType
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.text)
        hasher.combine(self.pathType)
    }
}
