import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// `proxy-request-buffering` in the state machine: the connect waits for a body that fits the
/// route's buffer; a longer one, or buffering off, connects at once.
@Suite struct RequestBufferingPhaseTests {
    typealias H = ConnectionHarness

    static let head = "POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n"

    @Test func theConnectWaitsForTheWholeBody() {
        let h = H()
        #expect(h.receive(Self.head + "12345") == [])
        #expect(h.receive("6789") == [])
        #expect(h.receive("0") == ["connect 10.0.0.1:80 pooled"])
        #expect(h.connected().contains("up: POST / HTTP/1.1"))
    }

    @Test func aBodyThatCameWithItsHeadConnectsAtOnce() {
        #expect(H().receive(Self.head + "1234567890") == ["connect 10.0.0.1:80 pooled"])
    }

    @Test func offOrALongerBodyStreams() {
        var off = RoutePolicy()
        off.bufferedBodyLimit = 0
        #expect(H(policy: off).receive(Self.head + "12345") == ["connect 10.0.0.1:80 pooled"])
        var small = RoutePolicy()
        small.bufferedBodyLimit = 9
        #expect(H(policy: small).receive(Self.head + "12345") == ["connect 10.0.0.1:80 pooled"])
    }

    /// A client that stops mid-body while it is buffered gets 408 after client_body_timeout;
    /// no upstream was ever taken.
    @Test func aStalledBufferedBodyTimesOutWithoutAnUpstream() {
        var configuration = ProxyConfiguration()
        configuration.bodyTimeout = .seconds(5)
        let h = H(configuration: configuration)
        #expect(h.receive(Self.head + "123") == [])
        let actions = h.advance(.seconds(6))
        #expect(actions.contains { $0.hasPrefix("write HTTP/1.1 408") }, "\(actions)")
        #expect(!actions.contains { $0.hasPrefix("connect") })
    }
}
