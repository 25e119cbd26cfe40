import PorticoRouting
import Testing

/// `auth-cache-duration` and `auth-cache-key` as ingress-nginx validates them and nginx's
/// `proxy_cache_valid` reads them.
@Suite struct AuthCachePolicyTests {
    @Test func durationsByStatus() throws {
        let standard = try #require(AuthCachePolicy.parseDurations("200 202 401 5m"))
        #expect(standard.durations == [200: 300, 202: 300, 401: 300])
        #expect(standard.anyStatus == nil)
        let mixed = try #require(AuthCachePolicy.parseDurations("200 1h 30m, 401 10s, any 1s"))
        #expect(mixed.durations == [200: 5400, 401: 10])
        #expect(mixed.anyStatus == 1)
        // A time alone is nginx's `proxy_cache_valid time`: 200, 301 and 302.
        #expect(try #require(AuthCachePolicy.parseDurations("2m")).durations == [200: 120, 301: 120, 302: 120])
    }

    @Test(arguments: ["200", "5m 200", "200 5x", "twenty 5m"])
    func refusedDurations(_ text: String) {
        #expect(AuthCachePolicy.parseDurations(text) == nil)
    }

    @Test func keysRenderTheVariablesUsersPutThere() throws {
        let key = try RequestKeyTemplate.parse("$remote_user$http_authorization-${cookie__oauth2_proxy}x").get()
        #expect(key.parts == [
            .authorization, .authorization, .text(Array("-".utf8)), .cookie(Array("_oauth2_proxy".utf8)), .text(Array("x".utf8)),
        ])
        #expect(try RequestKeyTemplate.parse("$http_x_api_key").get().parts == [.header(Array("x-api-key".utf8))])
        guard case .failure(let unknown) = RequestKeyTemplate.parse("$upstream_addr") else {
            Issue.record("$upstream_addr is not rendered")
            return
        }
        #expect(unknown.name == "$upstream_addr")
    }
}
