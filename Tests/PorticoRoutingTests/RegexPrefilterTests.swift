import PorticoRegex
import PorticoRouting
import Testing

/// The literal-prefix prefilter may only skip PCRE2 when PCRE2 would say "no match".
@Suite struct RegexPrefilterTests {
    func path(_ pattern: String) throws -> RegexPath {
        RegexPath(regex: try CompiledRegex(pattern, caseInsensitive: true, anchored: true), text: pattern, pathType: "ImplementationSpecific")
    }

    @Test(arguments: [
        ("/svc-0042/(.*)", "/svc-0042/"),
        ("/one(/|$)(.*)", "/one"),
        ("/ab?c", "/a"),
        ("/ab*", "/a"),
        ("/a{2}", "/"),
        ("/foo.bar", "/foo"),
        ("/a|/b", ""),
        ("/x\\.y", "/x"),
        ("/API/v1", "/api/v1"),
    ])
    func literalPrefix(pattern: String, prefix: String) throws {
        #expect(try self.path(pattern).literalPrefix == Array(prefix.utf8))
    }

    @Test func agreesWithPCRE2() throws {
        let patterns = ["/one(/|$)(.*)", "/svc-0042/(.*)", "/ab?c", "/k8s/x", "/a|/b", "/ß/x", "/id/[0-9]+"]
        let subjects = ["/one", "/ONE/x", "/onex", "/svc-0042/a", "/svc-0043/a", "/ac", "/abc", "/K8S/x", "/\u{212A}8s/x",
                        "/b", "/SS/x", "/ß/x", "/id/1", "/", "", "/o"]
        let data = RegexMatchData()
        for pattern in patterns {
            let regexPath = try self.path(pattern)
            let match = PathMatch.regex(regexPath)
            for subject in subjects {
                var text = subject
                let (filtered, direct) = text.withUTF8 { bytes in
                    let raw = UnsafeRawBufferPointer(bytes)
                    return (match.evaluate(raw, scratch: data), regexPath.regex.matches(raw, using: data))
                }
                #expect(filtered == direct, "\(pattern) on \(subject)")
            }
        }
    }
}
