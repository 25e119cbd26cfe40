import PorticoRegex

/// How one Ingress path matches a request path, per the Ingress API's `pathType`.
///
/// - `Exact`: the request path equals the path, byte for byte (case-sensitive).
/// - `Prefix`: element-wise prefix on `/`-separated elements, trailing slashes ignored:
///   `/foo` and `/foo/` both match `/foo`, `/foo/` and `/foo/bar`, never `/foobar`
///   (networking.k8s.io/v1 `HTTPIngressPath.pathType`; Kubernetes Ingress conformance suite).
/// - `ImplementationSpecific` is compiled to `Prefix` (ingress-nginx converts it at ingestion)
///   unless the host is in regex mode.
/// - On a host in regex mode (an Ingress on it has `use-regex` or a `rewrite-target`), every
///   path is a `RegexPath`, whatever its type, as ingress-nginx does.
public enum PathMatch: Hashable, Sendable, CustomStringConvertible {
    case exact([UInt8])
    /// The prefix without its trailing slash (the root stays `/`).
    case prefix([UInt8])
    case regex(RegexPath)

    /// `Prefix` with the Ingress spec's normalisation applied.
    public static func prefix(_ path: String) -> PathMatch {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        if bytes.isEmpty { bytes = [UInt8(ascii: "/")] }
        return .prefix(bytes)
    }

    public static func exact(_ path: String) -> PathMatch {
        .exact(Array(path.utf8))
    }

    public var pathText: String {
        switch self {
        case .exact(let bytes), .prefix(let bytes): String(decoding: bytes, as: UTF8.self)
        case .regex(let regex): regex.text
        }
    }

    public var typeName: String {
        switch self {
        case .exact: "Exact"
        case .prefix: "Prefix"
        case .regex(let regex): regex.pathType == "RegularExpression" ? "RegularExpression" : "\(regex.pathType) (regex ~* ^)"
        }
    }

    /// Evaluates the match; a regex match leaves its captures in `scratch`.
    @inlinable
    public func evaluate(_ path: UnsafeRawBufferPointer, scratch: RegexMatchData) -> RegexOutcome {
        switch self {
        case .exact, .prefix: self.matchesPlain(path) ? .match : .noMatch
        case .regex(let regex): regex.mayMatch(path) ? regex.regex.matches(path, using: scratch) : .noMatch
        }
    }

    public var description: String { "\(self.typeName) \(self.pathText)" }

    /// Exact and Prefix matching of `path` (already normalised, without query); regex paths go
    /// through `evaluate`, which needs the caller's match data.
    @inlinable
    func matchesPlain(_ path: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .exact(let bytes):
            return bytes.count == path.count && bytes.withUnsafeBytes { $0.elementsEqual(path) }
        case .prefix(let bytes):
            let count = bytes.count
            if count == 1 { return true }  // "/" matches everything
            guard path.count >= count else { return false }
            let same = bytes.withUnsafeBytes { stored in
                memcmpEqual(stored.baseAddress!, path.baseAddress!, count)
            }
            return same && (path.count == count || path[count] == UInt8(ascii: "/"))
        case .regex:
            return false  // not reachable: `evaluate` sends regex paths to PCRE2
        }
    }

    /// Convenience for tests and tools (allocates match data; the data plane uses `evaluate`).
    public func matches(_ path: String) -> Bool {
        var path = path
        let scratch = RegexMatchData()
        return path.withUTF8 { self.evaluate(UnsafeRawBufferPointer($0), scratch: scratch) } == .match
    }
}

@usableFromInline
func memcmpEqual(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, _ count: Int) -> Bool {
    for offset in 0..<count where lhs.load(fromByteOffset: offset, as: UInt8.self)
        != rhs.load(fromByteOffset: offset, as: UInt8.self)
    {
        return false
    }
    return true
}
