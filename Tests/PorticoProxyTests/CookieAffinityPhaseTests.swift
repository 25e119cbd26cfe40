import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// `affinity-mode` and `session-cookie-change-on-failure` in the state machine (sticky.lua's
/// `balance`): where a session's retries go, and when the cookie is set.
@Suite struct CookieAffinityPhaseTests {
    typealias H = ConnectionHarness

    static func harness(_ mode: CookieAffinity.Mode, changeOnFailure: Bool = false) -> H {
        var policy = RoutePolicy()
        policy.cookieAffinity = CookieAffinity(name: "route", mode: mode, changeOnFailure: changeOnFailure)
        return H(policy: policy)
    }

    static func get(cookie: String) -> String { "GET / HTTP/1.1\r\nHost: app.test\r\nCookie: route=\(cookie)\r\n\r\n" }

    func setCookie(_ h: H) -> String? {
        h.written.split(separator: "\r\n").first { $0.hasPrefix("Set-Cookie: ") }.map { String($0.dropFirst(12)) }
    }

    /// Without change-on-failure a session stays on its endpoint through a retry, and keeps its cookie.
    @Test func aSessionIsRetriedOnItsOwnEndpoint() {
        let h = Self.harness(.persistent)
        let second = String(decoding: h.loop.generation.backends[0].endpoints[1].cookieValue, as: UTF8.self)
        #expect(h.receive(Self.get(cookie: second)) == ["connect 10.0.0.2:80 pooled"])
        #expect(h.connectFailed() == ["connect 10.0.0.2:80 fresh"])
        _ = h.connected()
        h.respond(H.ok)
        #expect(self.setCookie(h) == nil)
    }

    /// With it, the retry moves on and the cookie follows.
    @Test func changeOnFailureMovesTheSessionAndItsCookie() {
        let h = Self.harness(.persistent, changeOnFailure: true)
        let endpoints = h.loop.generation.backends[0].endpoints
        #expect(h.receive(Self.get(cookie: String(decoding: endpoints[1].cookieValue, as: UTF8.self))) == ["connect 10.0.0.2:80 pooled"])
        let retry = h.connectFailed()
        #expect(retry.count == 1 && retry[0] != "connect 10.0.0.2:80 pooled", "\(retry)")
        _ = h.connected()
        h.respond(H.ok)
        #expect(self.setCookie(h)?.hasPrefix("route=\(String(decoding: endpoints[0].cookieValue, as: UTF8.self));") == true)
    }

    /// balanced: a new session draws a random key, goes where the key hashes, and the key is
    /// its cookie; the same key comes back to the same endpoint without a new cookie.
    @Test func aBalancedSessionIsARandomKeyHashedOntoTheEndpoints() throws {
        let h = Self.harness(.balanced)
        let first = h.receive(H.get)
        _ = h.connected()
        h.respond(H.ok)
        let cookie = try #require(self.setCookie(h))
        let key = String(cookie.dropFirst("route=".count).prefix { $0 != ";" })
        #expect(key.count == 16 && key.allSatisfy(\.isHexDigit))
        let backend = h.loop.generation.backends[0]
        let chosen = try #require(backend.endpoint(forKey: ProxyBackend.fnv1a(Array(key.utf8)), now: h.now))
        #expect(first == ["connect \(chosen.display) pooled"])
        _ = h.end()
        h.written = ""
        #expect(h.receive(Self.get(cookie: key)) == ["connect \(chosen.display) pooled"])
        _ = h.connected()
        h.respond(H.ok)
        #expect(self.setCookie(h) == nil)
    }

    /// `session-cookie-conditional-samesite-none`: no `SameSite=None` for a browser that
    /// rejects it (iOS 12 Safari), kept for one that takes it.
    @Test(arguments: [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 12_0 like Mac OS X) AppleWebKit/605.1.15 Version/12.0 Mobile Safari/604.1", false),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", true),
    ])
    func sameSiteNoneOnlyForBrowsersThatTakeIt(agent: String, keeps: Bool) throws {
        var policy = RoutePolicy()
        policy.cookieAffinity = CookieAffinity(name: "route", sameSite: "None", mode: .persistent, conditionalSameSiteNone: true)
        let h = H(policy: policy)
        _ = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nUser-Agent: \(agent)\r\n\r\n")
        _ = h.connected()
        h.respond(H.ok)
        let cookie = try #require(self.setCookie(h))
        #expect(cookie.contains("; SameSite=None") == keeps, "\(cookie)")
    }
}
