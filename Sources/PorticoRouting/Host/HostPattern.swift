/// A host as an Ingress rule writes it: an exact name or a one-label wildcard.
///
/// The Ingress API (networking.k8s.io/v1 `IngressRule.host`) defines `*.foo.com` as matching
/// exactly one DNS label in place of `*`: `bar.foo.com` matches, `baz.bar.foo.com` and `foo.com`
/// do not. ingress-nginx renders the same thing as `^(?<subdomain>[\w-]+)\.foo\.com$`.
public enum HostPattern: Hashable, Sendable, CustomStringConvertible {
    case exact(String)
    /// `*.suffix`; the associated value is `suffix` without the leading `*.`.
    case wildcard(suffix: String)
    /// A Gateway API wildcard `*.suffix`: any number of labels in place of `*`
    /// (`foo.example.com` and `foo.bar.example.com`, never `example.com`; gateway.networking.k8s.io
    /// `Hostname`). The longest such suffix wins.
    case subdomains(suffix: String)

    /// Parses and validates an Ingress `host`. Returns `nil` with a reason for invalid values.
    public static func parse(_ host: String) -> Result<HostPattern, HostPatternError> {
        let lowered = host.lowercased()
        if lowered.hasPrefix("*.") {
            let suffix = String(lowered.dropFirst(2))
            guard Self.isValidDNSName(suffix) else { return .failure(.invalid(host)) }
            return .success(.wildcard(suffix: suffix))
        }
        guard !lowered.contains("*") else { return .failure(.wildcardNotLeading(host)) }
        guard Self.isValidDNSName(lowered) else { return .failure(.invalid(host)) }
        return .success(.exact(lowered))
    }

    /// Whether a certificate named by this pattern serves `host`: the same pattern, or a
    /// one-label wildcard over an exact name (RFC 6125 §6.4.3, as OpenSSL's
    /// `X509_check_host` and ingress-nginx's certificate lookup by name apply it).
    public func covers(_ host: HostPattern) -> Bool {
        if self == host { return true }
        if case .subdomains(let suffix) = self, case .exact(let name) = host { return name.hasSuffix("." + suffix) }
        guard case .wildcard(let suffix) = self, case .exact(let name) = host,
            let dot = name.firstIndex(of: "."), dot != name.startIndex
        else { return false }
        return name[name.index(after: dot)...] == suffix
    }

    public var description: String {
        switch self {
        case .exact(let name): name
        case .wildcard(let suffix), .subdomains(let suffix): "*." + suffix
        }
    }

    /// RFC 1123 subdomain, as the API server validates `host`; the Ingress API also forbids IPs,
    /// which we accept with a warning elsewhere rather than refuse.
    static func isValidDNSName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else { return false }
            for byte in label.utf8 where !(HostBytes.isLabelByte(byte)) { return false }
            if label.utf8.first == UInt8(ascii: "-") || label.utf8.last == UInt8(ascii: "-") { return false }
        }
        return true
    }
}

public enum HostPatternError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)
    case wildcardNotLeading(String)

    public var description: String {
        switch self {
        case .invalid(let host):
            "\"\(host)\" is not a valid DNS name (RFC 1123: lowercase letters, digits, '-' and '.')"
        case .wildcardNotLeading(let host):
            "\"\(host)\": a wildcard must be the whole first label, as in \"*.example.com\""
        }
    }
}
