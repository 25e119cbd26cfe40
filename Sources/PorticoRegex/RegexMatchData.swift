import CPorticoPCRE2

/// Reusable PCRE2 match data plus limits, kept per event loop so matching allocates nothing.
///
/// The match and depth limits bound the work one subject can cost, so a pathological pattern
/// or path cannot stall an event loop (ReDoS).
public final class RegexMatchData {
    let matchData: OpaquePointer
    let matchContext: OpaquePointer
    let capacity: Int
    /// Capture pairs set by the last match.
    var lastPairs = 0

    /// - Parameter maxCaptures: groups whose ranges are kept (`$1`…`$9` need 9); a pattern with
    ///   more still matches, its later groups are just not reported.
    public init(maxCaptures: Int = 9, matchLimit: UInt32 = 100_000, depthLimit: UInt32 = 10_000) {
        self.capacity = maxCaptures + 1
        self.matchData = pcre2_match_data_create_8(UInt32(self.capacity), nil)
        self.matchContext = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(self.matchContext, matchLimit)
        pcre2_set_depth_limit_8(self.matchContext, depthLimit)
    }

    deinit {
        pcre2_match_data_free_8(self.matchData)
        pcre2_match_context_free_8(self.matchContext)
    }
}

/// The outcome of a match that leaves its captures in the match data.
public enum RegexOutcome: Equatable, Sendable {
    case noMatch
    case match
    /// PCRE2 gave up (match or depth limit).
    case limitExceeded
}

extension RegexMatchData {
    /// The byte range of capture `group` of the last successful match, or nil when the group
    /// did not take part (or is beyond what this match data keeps).
    public func range(of group: Int) -> Range<Int>? {
        guard group < self.capacity, group < self.lastPairs else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(self.matchData)!
        // PCRE2_SIZE is size_t, imported as Int: PCRE2_UNSET (SIZE_MAX, a group that did not
        // take part, e.g. the other side of an alternation) reads as -1. Converting it to UInt
        // trapped, a crash any request could trigger (found by Tests/Fuzz).
        let start = Int(truncatingIfNeeded: ovector[2 * group])
        let end = Int(truncatingIfNeeded: ovector[2 * group + 1])
        guard start >= 0, end >= start else { return nil }
        return start..<end
    }
}

extension CompiledRegex {
    /// Matches without allocating; on `.match` the captures are read with `data.range(of:)`.
    @inline(__always)
    public func matches(_ subject: UnsafeRawBufferPointer, using data: RegexMatchData) -> RegexOutcome {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self)
        // pcre2_jit_match skips the interpreter's per-call checks; it honours the match limit.
        let rc =
            self.isJITCompiled
            ? pcre2_jit_match_8(self.code, base, subject.count, 0, 0, data.matchData, data.matchContext)
            : pcre2_match_8(self.code, base, subject.count, 0, 0, data.matchData, data.matchContext)
        if rc == PCRE2_ERROR_NOMATCH { return .noMatch }
        if rc < 0 {
            data.lastPairs = 0
            return .limitExceeded
        }
        data.lastPairs = rc == 0 ? data.capacity : Int(rc)
        return .match
    }

    /// Convenience for tests and offline tools.
    public func matches(_ subject: String, using data: RegexMatchData) -> RegexOutcome {
        var subject = subject
        return subject.withUTF8 { self.matches(UnsafeRawBufferPointer($0), using: data) }
    }
}
