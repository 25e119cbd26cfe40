import PorticoRegex
import PorticoRouting
import Testing

/// Inputs the rewrite fuzzer (Tests/Fuzz) found, kept as regressions.
@Suite struct RewriteFuzzFindingsTests {
    /// A `$1` whose group did not take part in the match (the other alternative matched), on a
    /// path with control bytes: the rewrite leaves the capture out instead of trapping.
    @Test func unsetCaptureInAnAlternation() throws {
        let regex = try CompiledRegex("/sozethhing(/)$|(.*)", caseInsensitive: true, anchored: true)
        guard case .success(let template) = RewriteTemplate.parse("/$1") else {
            Issue.record("template refused")
            return
        }
        let subject = Array("/something/n\u{1}\u{0}\u{0}\u{0}ew".utf8)
        let data = RegexMatchData()
        var out: [UInt8] = []
        subject.withUnsafeBytes { bytes in
            #expect(regex.matches(bytes, using: data) == .match)
            template.apply(subject: bytes, captures: data, into: &out)
        }
        #expect(out == Array("/".utf8))
    }
}
