import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// `auth-url` as a sub-request of the connection's state machine, without sockets.
@Suite struct ExternalAuthPhaseTests {
    typealias H = ConnectionHarness

    static func policy(signin: String? = nil, headers: [String] = ["X-Auth-Request-User"], alwaysSetCookie: Bool = false) -> RoutePolicy {
        var policy = RoutePolicy()
        policy.externalAuth = ExternalAuthPolicy(
            target: .backend(0, host: Array("auth.test:4180".utf8)), path: "/oauth2/auth?x=1", method: nil, responseHeaders: headers,
            signin: signin.map { try! SigninURL.parse($0, redirectParameter: "rd").get() }, requestRedirect: nil, alwaysSetCookie: alwaysSetCookie,
            url: "http://auth.test:4180/oauth2/auth?x=1")
        return policy
    }

    @Test func aVerdictOf200LetsTheRequestGoWithTheCopiedHeaders() {
        let h = H(policy: Self.policy())
        #expect(h.receive("GET /app?q=1 HTTP/1.1\r\nHost: app.test\r\nCookie: s=1\r\nX-Auth-Request-User: forged\r\n\r\n").first?.hasPrefix("connect") == true)
        #expect(h.connected().contains("up: GET /oauth2/auth?x=1 HTTP/1.1"))
        #expect(h.upstreamBytes.contains("Host: auth.test:4180\r\n"))
        #expect(h.upstreamBytes.contains("Cookie: s=1\r\n"))  // the client's credentials go to the auth service
        #expect(h.upstreamBytes.contains("X-Original-URL: http://app.test/app?q=1\r\n"))
        #expect(h.upstreamBytes.contains("X-Original-Method: GET\r\nX-Sent-From: nginx-ingress-controller\r\n"))
        #expect(h.upstreamBytes.contains("X-Auth-Request-Redirect: /app?q=1\r\n"))
        let (relayed, actions) = h.respond("HTTP/1.1 202 Accepted\r\nX-Auth-Request-User: alice\r\nSet-Cookie: t=2\r\nContent-Length: 2\r\n\r\nok")
        #expect(relayed && actions.isEmpty)  // nothing of the auth answer reaches the client
        #expect(h.end().first == "release")  // its connection goes back to the pool…
        h.upstreamBytes = ""
        _ = h.connected()  // …and the request itself goes
        #expect(h.upstreamBytes.hasPrefix("GET /app?q=1 HTTP/1.1\r\n"))
        #expect(h.upstreamBytes.contains("X-Auth-Request-User: alice\r\n\r\n"))
        #expect(!h.upstreamBytes.contains("forged"))
        h.respond(H.ok)
        #expect(h.written.contains("Set-Cookie: t=2\r\n"))  // add_header on a 2xx
        #expect(!h.written.contains("202"))
    }

    @Test func aVerdictOf401GoesToTheClientOrToTheSignIn() {
        let plain = H(policy: Self.policy())
        _ = plain.receive(H.get)
        _ = plain.connected()
        plain.respond("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"x\"\r\nContent-Length: 0\r\n\r\n")
        #expect(plain.end() .contains("write HTTP/1.1 401 Unauthorized"))
        #expect(plain.written.contains("WWW-Authenticate: Bearer realm=\"x\"\r\n"))

        let signin = H(policy: Self.policy(signin: "https://$host/oauth2/start"))
        _ = signin.receive("GET /a/b?c=d HTTP/1.1\r\nHost: app.test\r\n\r\n")
        _ = signin.connected()
        signin.respond("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
        #expect(signin.end().contains("write HTTP/1.1 302 Moved Temporarily"))
        #expect(signin.written.contains("Location: https://app.test/oauth2/start?rd=http://app.test%2Fa%2Fb%3Fc%3Dd\r\n"))
    }

    /// nginx `add_header Set-Cookie $auth_cookie`: on a denial only with `auth-always-set-cookie`.
    @Test func theAuthCookieGoesOnDenialsOnlyWhenAlwaysSet() {
        for always in [false, true] {
            let h = H(policy: Self.policy(alwaysSetCookie: always))
            _ = h.receive(H.get)
            _ = h.connected()
            h.respond("HTTP/1.1 403 Forbidden\r\nSet-Cookie: t=2\r\nContent-Length: 0\r\n\r\n")
            #expect(h.end().contains("write HTTP/1.1 403 Forbidden"))
            #expect(h.written.contains("Set-Cookie: t=2\r\n") == always, "always: \(always)")
        }
    }

    @Test func otherVerdictsAndUnreachableServicesAre500() {
        let forbidden = H(policy: Self.policy())
        _ = forbidden.receive(H.get)
        _ = forbidden.connected()
        forbidden.respond("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        #expect(forbidden.end().contains("write HTTP/1.1 403 Forbidden"))

        let broken = H(policy: Self.policy())
        _ = broken.receive(H.get)
        _ = broken.connected()
        broken.respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        #expect(broken.end().contains("write HTTP/1.1 500 Internal Server Error"))

        let down = H(policy: Self.policy())
        _ = down.receive(H.get)
        var last: [String] = []
        for _ in 0..<3 { last = down.connectFailed() }
        #expect(last.contains("write HTTP/1.1 500 Internal Server Error"))
        #expect(down.isIdle)
    }
}

/// `custom-http-errors` in the state machine, without sockets.
@Suite struct ErrorPagePhaseTests {
    typealias H = ConnectionHarness

    @Test func aListedStatusIsReplacedAndAnUpstreamFailureToo() {
        var policy = RoutePolicy()
        policy.errorPages = ErrorPagePolicy(codes: [404, 502], backend: 0, namespace: "default", ingress: "app", service: "app", servicePort: "80")
        let h = H(policy: policy)
        _ = h.receive("GET /missing HTTP/1.1\r\nHost: app.test\r\n\r\n")
        _ = h.connected()
        let (relayed, actions) = h.respond("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnope")
        #expect(!relayed)
        #expect(actions.contains("up close") && actions.contains { $0.hasPrefix("connect") })
        h.upstreamBytes = ""
        _ = h.connected()
        #expect(h.upstreamBytes.hasPrefix("GET / HTTP/1.1\r\n"))
        #expect(h.upstreamBytes.contains("X-Original-URI: /missing\r\nX-Namespace: default\r\n"))
        #expect(h.upstreamBytes.hasSuffix("X-Code: 404\r\n\r\n"))
        h.respond("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\npage")  // the page's own 404 is relayed
        #expect(h.written.hasPrefix("HTTP/1.1 404 Not Found"))
        #expect(h.written.hasSuffix("page"))

        let down = H(policy: policy)
        _ = down.receive(H.get)
        _ = down.connectFailed()
        _ = down.connectFailed()
        let last = down.connectFailed()  // three tries, then 502: listed, so the page is asked for
        #expect(last.contains { $0.hasPrefix("connect") })
        #expect(!down.written.contains("502"))
    }
}
