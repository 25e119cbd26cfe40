import PorticoRegex

/// Compiled path regexes by pattern, kept across compilations: a recompile after an endpoint or
/// unrelated change reuses every pattern that is still there instead of compiling it again.
///
/// Used by the control plane only (one compilation at a time); not shared with the data plane,
/// which only reads the immutable compiled regexes.
public final class RegexCache {
    private var entries: [String: CompiledRegex] = [:]
    /// Patterns asked for since the last `endCompilation()`.
    private var touched = Set<String>()

    public init() {}

    /// Number of patterns compiled so far (for tests and logs).
    public private(set) var compilations = 0

    /// A case-insensitive, start-anchored regex for `pattern` (nginx's `location ~* "^…"`).
    func regex(for pattern: String) throws(RegexError) -> CompiledRegex {
        self.touched.insert(pattern)
        if let cached = self.entries[pattern] { return cached }
        let regex = try CompiledRegex(pattern, caseInsensitive: true, anchored: true)
        self.compilations += 1
        self.entries[pattern] = regex
        return regex
    }

    /// A case-sensitive regex that must match the whole subject: the Gateway API's
    /// `RegularExpression` path, header and query matches (as Envoy's `safe_regex`, which the
    /// conformance suite was written against, matches them).
    func fullMatch(for pattern: String) throws(RegexError) -> CompiledRegex {
        let key = "\u{0}full " + pattern
        self.touched.insert(key)
        if let cached = self.entries[key] { return cached }
        let regex = try CompiledRegex("(?:" + pattern + ")\\z", anchored: true)
        self.compilations += 1
        self.entries[key] = regex
        return regex
    }

    /// Drops patterns the compilation that just ended did not ask for.
    func endCompilation() {
        self.entries = self.entries.filter { self.touched.contains($0.key) }
        self.touched.removeAll(keepingCapacity: true)
    }
}
