import PorticoRegex
import PorticoRouting
import Testing

/// ingress-nginx's `route_to_alternative_balancer`, steps 2–4, without a request.
@Suite struct CanaryPolicyTests {
    func decide(_ policy: CanaryPolicy, header: String?, cookie: String?) -> Bool? {
        var header = header
        var cookie = cookie
        let scratch = RegexMatchData()
        func with(_ text: inout String?, _ body: (UnsafeRawBufferPointer?) -> Bool?) -> Bool? {
            guard text != nil else { return body(nil) }
            return text!.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        return with(&header) { h in with(&cookie) { c in policy.decide(headerValue: h, cookieValue: c, scratch: scratch) } }
    }

    @Test func headerValuePatternAndKeywords() throws {
        let byValue = CanaryPolicy(backend: 1, ingress: "c", header: "X-Canary", headerValue: "v2", headerPattern: nil, cookie: "ck", weight: 0, weightTotal: 100)
        #expect(self.decide(byValue, header: "v2", cookie: nil) == true)
        #expect(self.decide(byValue, header: "always", cookie: nil) == nil)  // a value is set: keywords are values
        #expect(self.decide(byValue, header: "v3", cookie: "always") == true)  // falls through to the cookie
        #expect(self.decide(byValue, header: nil, cookie: "never") == false)
        #expect(self.decide(byValue, header: nil, cookie: "maybe") == nil)
        let byPattern = CanaryPolicy(
            backend: 1, ingress: "c", header: "x-canary", headerValue: nil, headerPattern: try CompiledRegex("^v[23]$"), cookie: nil,
            weight: 0, weightTotal: 100)
        #expect(self.decide(byPattern, header: "v3", cookie: nil) == true)
        #expect(self.decide(byPattern, header: "v4", cookie: nil) == nil)
        let keywords = CanaryPolicy(backend: 1, ingress: "c", header: "x-canary", headerValue: nil, headerPattern: nil, cookie: nil, weight: 0, weightTotal: 100)
        #expect(self.decide(keywords, header: "always", cookie: nil) == true)
        #expect(self.decide(keywords, header: "never", cookie: nil) == false)
    }

    @Test func weightOutOfAtLeastAHundred() {
        let policy = CanaryPolicy(backend: 1, ingress: "c", header: nil, headerValue: nil, headerPattern: nil, cookie: nil, weight: 5, weightTotal: 10)
        #expect(policy.weightTotal == 100)  // balancer.lua: totals under 100 count as 100
        #expect(policy.chosenByWeight(roll: 5) && !policy.chosenByWeight(roll: 6))
    }
}

/// `auth-signin` as ingress-nginx's `buildAuthSignURL` completes it.
@Suite struct SigninURLTests {
    func parts(_ text: String, _ parameter: String = "rd") -> [SigninURL.Part]? { try? SigninURL.parse(text, redirectParameter: parameter).get() .parts }

    @Test func theRedirectParameterIsAddedUnlessPresent() {
        let tail: [SigninURL.Part] = [.scheme, .text(Array("://".utf8)), .httpHost, .escapedRequestURI]
        #expect(self.parts("https://auth.test/start") == [.text(Array("https://auth.test/start?rd=".utf8))] + tail)
        #expect(self.parts("https://auth.test/start?x=1") == [.text(Array("https://auth.test/start?x=1&rd=".utf8))] + tail)
        #expect(self.parts("https://auth.test/start?back=1", "back") == [.text(Array("https://auth.test/start?back=1".utf8))])
        #expect(self.parts("https://$host/start?rd=$escaped_request_uri") == [.text(Array("https://".utf8)), .host, .text(Array("/start?rd=".utf8)), .escapedRequestURI])
        #expect(self.parts("https://auth.test/start?u=$remote_user") == nil)  // an unknown variable
    }
}
