import PorticoRegex
import Testing

@Suite struct CompiledRegexTests {
    @Test func seedPatternCapturesTheRestOfThePath() throws {
        let regex = try CompiledRegex("/one(/|$)(.*)", caseInsensitive: true, anchored: true)
        let data = RegexMatchData()
        #expect(regex.captureCount == 2)
        #expect(regex.isJITCompiled)  // libpcre2-8 on x86_64/arm64 has the JIT
        #expect(regex.matches("/one/aaa/bbb", using: data) == .match)
        #expect(data.range(of: 1) == 4..<5)
        #expect(data.range(of: 2) == 5..<12)
        #expect(data.range(of: 3) == nil)  // no such group
        #expect(regex.matches("/ONE", using: data) == .match)
        #expect(regex.matches("/x/one/aaa", using: data) == .noMatch)
    }

    @Test func brokenPatternReportsItsOffset() {
        #expect(throws: RegexError.self) { try CompiledRegex("/one(") }
        do {
            _ = try CompiledRegex("/a[b")
        } catch {
            #expect(error.offset == 4)
            #expect(error.message.contains("missing"))
        }
    }

    @Test func catastrophicBacktrackingHitsTheLimitInsteadOfStalling() throws {
        // Patterns like this take exponential time without a match limit. Disable JIT-friendly
        // shortcuts by forcing a non-matching tail.
        let regex = try CompiledRegex("(a+)+$", anchored: true)
        let data = RegexMatchData(matchLimit: 10_000, depthLimit: 1_000)
        let subject = String(repeating: "a", count: 40) + "!"
        #expect(regex.matches(subject, using: data) == .limitExceeded)
    }
}
