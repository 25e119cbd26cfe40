import Foundation
import PorticoConfig
import PorticoKube
import PorticoRouting
import Testing

/// The regex and rewrite rows of ingress-nginx-semantics.md, through the same router the data
/// plane runs (`RequestSimulation` → `RequestRouter`).
@Suite struct RegexRewriteTests {
    static let compiled = try! Fixture.compile("regex-rewrite").output

    func outcome(_ url: String) -> SimulatedOutcome {
        RequestSimulation.run(try! OfflineRequest.parse(url).get(), snapshot: Self.compiled.snapshot)
    }

    @Test(arguments: [
        ("http://rewrite.bar.com/something", "/"),
        ("http://rewrite.bar.com/something/", "/"),
        ("http://rewrite.bar.com/something/new?x=1", "/new?x=1"),
        ("http://rewrite.bar.com/SOMETHING/new", "/new"),  // ~* is case-insensitive
        ("http://slash.test/one/aaa/bbb", "/"),  // the whole path is replaced
        ("http://slash.test/oneXYZ?q=1", "/?q=1"),  // no segment boundary; query kept
        ("http://slash.test/ONE", "/"),
        ("http://plain.test/one/aaa", "/one/aaa"),  // no annotation: no prefix stripping
        ("http://foo.test/foo/bar/baz", "/new/backend/baz"),
        ("http://rewrite.bar.com/something/a%2Fb", "/a/b"),  // decoded capture, re-escaped (nginx)
        ("http://rewrite.bar.com/something/a%20b", "/a%20b"),
    ])
    func rewrites(url: String, upstreamPath: String) {
        let outcome = self.outcome(url)
        #expect(outcome.status == nil)
        #expect(outcome.upstreamPath == upstreamPath)
    }

    @Test func noMatchFallsThroughTo404() {
        #expect(self.outcome("http://rewrite.bar.com/somethingelse").status == 404)
        #expect(self.outcome("http://id.test/id/aaa").status == 404)
        #expect(self.outcome("http://id.test/strict/123a").status == 404)  // $ anchors the end
    }

    @Test func useRegexAloneIsStartAnchoredOnly() {
        #expect(self.outcome("http://id.test/id/123a").service == "default/svc:80")
        #expect(self.outcome("http://id.test/id/123a").upstreamPath == "/id/123a")  // no rewrite
        #expect(self.outcome("http://id.test/strict/123").service == "default/svc:80")
    }

    @Test func regexOrderIsByPathLengthNotSpecificity() {
        // e2e "should fail to use longest match for documented warning": the 19-character regex
        // is tried before the 12-character Exact path of the other Ingress.
        #expect(self.outcome("http://foo.test/foo/bar/bar").service == "default/svc:80")
        let routes = Self.compiled.snapshot.routes.resolveListing("foo.test")
        #expect(routes == ["/foo/bar/([a-z]{3})", "/foo/bar/bar", "/exact"])
    }

    @Test func exactLosesExactnessOnARegexHost() {
        // issue #8208: Exact /exact becomes ~* ^/exact
        #expect(self.outcome("http://foo.test/exact/anything").service == "default/other:80")
        #expect(self.outcome("http://foo.test/EXACTLY").service == "default/other:80")
    }

    @Test func xForwardedPrefixOnlyWithARewrite() throws {
        let route = try #require(Self.compiled.snapshot.routes.resolve(host: "rewrite.bar.com", path: "/something/x"))
        #expect(route.policy.forwardedPrefix == "/something")
        #expect(route.rewrite?.text == "/$2")
    }

    @Test func appRootRedirectsOnlyTheRoot() {
        let root = self.outcome("http://approot.bar.com/?x=1")
        #expect(root.status == 302)
        #expect(root.location == "http://approot.bar.com/foo")  // query dropped
        #expect(self.outcome("http://approot.bar.com/other").status == nil)
    }

    @Test func aBadRegexLeavesOnlyItsIngressOut() throws {
        let diagnostic = try #require(Self.compiled.diagnostics.first { $0.object == "Ingress default/broken-regex" })
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.field == "spec.rules[0].http.paths[1].path")
        #expect(diagnostic.message.contains("\"/bad[\" does not compile at offset 5"))
        #expect(self.outcome("http://broken.test/fine").status == 404)  // the whole Ingress is out
        #expect(self.outcome("http://rewrite.bar.com/something/x").status == nil)  // the rest serves
    }

    @Test func catastrophicBacktrackingGives500() {
        let path = "/" + String(repeating: "a", count: 5000) + "!"
        #expect(self.outcome("http://redos.test\(path)").status == 500)
        #expect(self.outcome("http://redos.test/aaa").status == nil)
    }

    /// ingress-nginx's rewrite parser: an invalid `use-regex` is "defaulting to 'false'"; the
    /// Ingress keeps serving.
    @Test func invalidUseRegexFallsBackToFalse() throws {
        #expect(self.outcome("http://badbool.test/").status == nil)
        let diagnostic = try #require(Self.compiled.diagnostics.first { $0.object == "Ingress default/bad-bool" })
        #expect(diagnostic.severity == .warning)
        #expect(diagnostic.message.contains("uses the default (false)"))
    }

    @Test func recompilingReusesCompiledRegexes() throws {
        let url = try #require(Bundle.module.url(forResource: "regex-rewrite", withExtension: "yaml", subdirectory: "Fixtures"))
        var state = ClusterState()
        for (object, _) in ManifestDecoder.decode(file: "x.yaml", text: try String(contentsOf: url, encoding: .utf8)).objects {
            state.add(object)
        }
        let cache = RegexCache()
        _ = IngressCompiler.compile(state, regexCache: cache)
        let first = cache.compilations
        #expect(first > 0)
        _ = IngressCompiler.compile(state, regexCache: cache)
        #expect(cache.compilations == first)
    }

    @Test func rewriteTargetValidation() {
        #expect(throws: RewriteTemplateError.self) { try RewriteTemplate.parse("/a?b").get() }
        #expect(throws: RewriteTemplateError.self) { try RewriteTemplate.parse("/${1}").get() }
        #expect(throws: RewriteTemplateError.self) { try RewriteTemplate.parse("/$host").get() }
        #expect((try? RewriteTemplate.parse("/$1/x$2").get())?.highestCapture == 2)
    }
}

extension RouteTable {
    /// Path texts of a host's routes in the order they are tried.
    func resolveListing(_ host: String) -> [String] {
        self.hosts.lookup(host)?.routes.map(\.match.pathText) ?? []
    }
}
