import CPorticoPCRE2

/// A PCRE2 pattern compiled (and JIT-compiled where the platform allows) once per configuration.
///
/// Owns the `pcre2_code`; matching needs a `RegexMatchData` scratch value that callers keep per
/// event loop, so a request never allocates match data. Regex paths follow ingress-nginx, whose
/// `location ~* "^<path>"` is a case-insensitive PCRE match anchored at the start only.
public final class CompiledRegex: @unchecked Sendable {
    // `@unchecked Sendable`: a compiled, JIT-ed pcre2_code is read-only and PCRE2 documents it as
    // safe to share between threads; only match data is per thread.
    let code: OpaquePointer
    /// The pattern as written, for diagnostics and `portico explain`.
    public let pattern: String
    /// Number of capturing groups in the pattern.
    public let captureCount: Int
    /// Whether PCRE2's JIT accepted the pattern.
    public let isJITCompiled: Bool

    /// Compiles `pattern`.
    /// - Parameters:
    ///   - caseInsensitive: `~*` in nginx terms.
    ///   - anchored: match only at the start of the subject (nginx's `^` prefix).
    public init(_ pattern: String, caseInsensitive: Bool = false, anchored: Bool = false) throws(RegexError) {
        var options: UInt32 = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
        if caseInsensitive { options |= UInt32(PCRE2_CASELESS) }
        if anchored { options |= UInt32(PCRE2_ANCHORED) }
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let compiled: OpaquePointer? = pattern.withCString { cString in
            cString.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) { bytes in
                pcre2_compile_8(bytes, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw RegexError(pattern: pattern, offset: errorOffset, message: RegexError.message(for: errorCode))
        }
        self.code = compiled
        self.pattern = pattern
        var count: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
        self.captureCount = Int(count)
        self.isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
    }

    deinit {
        pcre2_code_free_8(self.code)
    }
}
