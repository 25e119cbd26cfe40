import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// The rewrite and access phases the route's policy adds, without sockets: what is answered
/// here never becomes a connect action.
@Suite struct PolicyPhaseTests {
    typealias H = ConnectionHarness

    static func cors(_ origins: [String]?) -> RoutePolicy {
        var policy = RoutePolicy()
        policy.cors = CORSPolicy(
            origins: origins.map { $0.map(OriginPattern.init) }, allowMethods: "GET", allowHeaders: "X-A", allowCredentials: true,
            exposeHeaders: "", maxAge: 5)
        return policy
    }

    @Test func anAllowedPreflightIsAnsweredHere() {
        let h = H(policy: Self.cors(["https://app.test"]))
        let actions = h.receive("OPTIONS /x HTTP/1.1\r\nHost: app.test\r\nOrigin: https://app.test\r\n\r\n")
        #expect(actions.first == "write HTTP/1.1 204 No Content")
        #expect(!actions.contains { $0.hasPrefix("connect") })
        #expect(h.written.contains("Access-Control-Allow-Origin: https://app.test\r\nAccess-Control-Allow-Credentials: true\r\n"))
        #expect(h.isIdle)
        // Another origin's OPTIONS goes to the upstream, without the fields.
        #expect(h.receive("OPTIONS /x HTTP/1.1\r\nHost: app.test\r\nOrigin: https://other.test\r\n\r\n").first?.hasPrefix("connect") == true)
    }

    @Test func theUpstreamsCORSFieldsAreReplacedByTheRoutes() {
        let h = H(policy: Self.cors(["https://app.test"]))
        _ = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nOrigin: https://app.test\r\n\r\n")
        _ = h.connected()
        h.respond("HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\naccess-control-max-age: 99\r\nContent-Length: 2\r\n\r\nok")
        #expect(!h.written.contains("Access-Control-Allow-Origin: *"))
        #expect(!h.written.contains("access-control-max-age: 99"))
        #expect(h.written.contains("Access-Control-Allow-Origin: https://app.test\r\n"))
        #expect(h.written.contains("Access-Control-Max-Age: 5\r\n"))
        #expect(h.written.hasSuffix("\r\n\r\nok"))
    }

    @Test func basicAuthAnswers401WithTheChallengeAndHidesTheCredentials() {
        var policy = RoutePolicy()
        policy.basicAuth = BasicAuthPolicy(realm: "r", secret: "default/s", users: BasicAuthUsers(htpasswd: "alice:{PLAIN}pw\n"))
        let h = H(policy: policy)
        let denied = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nAuthorization: Basic YWxpY2U6bm9wZQ==\r\n\r\n")  // alice:nope
        #expect(denied.first == "write HTTP/1.1 401 Unauthorized")
        #expect(h.written.contains("WWW-Authenticate: Basic realm=\"r\"\r\n"))
        #expect(!denied.contains { $0.hasPrefix("connect") })
        let allowed = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\r\n")  // alice:pw
        #expect(allowed.first?.hasPrefix("connect") == true)
        #expect(h.connected().contains("up: GET / HTTP/1.1"))
        #expect(!h.upstreamBytes.contains("Authorization"))
    }

    @Test func aFixedRedirectIsAnsweredBeforeAccessChecks() {
        var policy = RoutePolicy()
        policy.redirect = FixedRedirect(code: 308, location: "https://new.test/")
        policy.allowedSources = []  // nobody may pass the access phase
        let h = H(policy: policy)
        #expect(h.receive(H.get).first == "write HTTP/1.1 308 Permanent Redirect")
        #expect(h.written.contains("Location: https://new.test/\r\n"))
    }

    @Test func proxyRedirectReplacesTheLocationPrefixOnly() {
        var policy = RoutePolicy()
        policy.locationRewrite = LocationRewrite(from: "http://internal:8080/", to: "https://app.test/")
        let h = H(policy: policy)
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond("HTTP/1.1 302 Found\r\nLocation: http://internal:8080/login?x=1\r\nContent-Length: 0\r\n\r\n")
        #expect(h.written.contains("Location: https://app.test/login?x=1\r\n"))
        _ = h.end()
        _ = h.receive(H.get)
        _ = h.connected()
        h.written = ""
        h.respond("HTTP/1.1 302 Found\r\nLocation: https://elsewhere.test/\r\nContent-Length: 0\r\n\r\n")
        #expect(h.written.contains("Location: https://elsewhere.test/\r\n"))
    }

    @Test func satisfyAnyLetsEitherCheckPass() {
        func policy(allowing range: String) -> RoutePolicy {
            var policy = RoutePolicy()
            policy.satisfyAny = true
            policy.allowedSources = [SourceRange.parse(range)!]
            policy.basicAuth = BasicAuthPolicy(realm: "r", secret: "default/s", users: BasicAuthUsers(htpasswd: "alice:{PLAIN}pw\n"))
            return policy
        }
        let inside = H(policy: policy(allowing: "192.0.2.0/24"))  // the harness's client is 192.0.2.7
        #expect(inside.receive(H.get).first?.hasPrefix("connect") == true)  // the address suffices
        let outside = H(policy: policy(allowing: "10.0.0.0/8"))
        #expect(outside.receive(H.get).first == "write HTTP/1.1 401 Unauthorized")
        #expect(outside.receive("GET / HTTP/1.1\r\nHost: app.test\r\nAuthorization: Basic YWxpY2U6cHc=\r\n\r\n").first?.hasPrefix("connect") == true)
    }
}
