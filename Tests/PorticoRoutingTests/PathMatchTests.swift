import PorticoRouting
import Testing

/// One test per row of the README's routing table (paths).
@Suite struct PathMatchTests {
    @Test func prefixIsElementWise() {
        let prefix = PathMatch.prefix("/foo")
        #expect(prefix.matches("/foo"))
        #expect(prefix.matches("/foo/"))
        #expect(prefix.matches("/foo/bar"))
        #expect(!prefix.matches("/foobar"))
        #expect(!prefix.matches("/FOO"))  // case-sensitive
        #expect(!prefix.matches("/"))
    }

    @Test func prefixWithTrailingSlashMatchesTheBarePath() {
        // The Ingress spec (and its conformance suite): Prefix /foo/ matches /foo, no 301.
        let prefix = PathMatch.prefix("/foo/")
        #expect(prefix == .prefix("/foo"))
        #expect(prefix.matches("/foo"))
        #expect(prefix.matches("/foo/x"))
    }

    @Test func rootPrefixMatchesEverything() {
        #expect(PathMatch.prefix("/").matches("/anything/at/all"))
        #expect(PathMatch.prefix("").matches("/x"))
    }

    @Test func exactIsExact() {
        let exact = PathMatch.exact("/foo/")
        #expect(exact.matches("/foo/"))
        #expect(!exact.matches("/foo"))  // the spec: Exact /foo/ does not match /foo
        #expect(!PathMatch.exact("/foo").matches("/foo/"))
    }

    @Test(arguments: [
        ("/a/./b", "/a/b"),
        ("/a//b", "/a/b"),
        ("/a/b/../c", "/a/c"),
        ("/%61dmin", "/admin"),
        ("/a/b/", "/a/b/"),
        ("/a/..", "/"),
        ("/plain/path", "/plain/path"),
        ("/a/b/../../c/", "/c/"),
        ("/a/%2e%2e/b", "/b"),
        ("/a/./../b/.", "/b/"),
        ("//a///b//", "/a/b/"),
        ("/abc/def/..", "/abc/"),
        ("/%7Euser/x%20y", "/~user/x y"),
    ])
    func normalisation(raw: String, normal: String) {
        #expect(PathNormalizer.normalize(raw) == normal)
    }

    @Test(arguments: ["/../etc/passwd", "/%zz", "/a%00b", "/%2", "/x/../../y", "/a/%2e%2e/%2e%2e/b"])
    func invalidPathsAreRefused(raw: String) {
        #expect(PathNormalizer.normalize(raw) == nil)
    }
}
