import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// The mirror phase (`RequestMirror`) of the connection state machine, without sockets: the
/// copy opens when the request goes upstream, gets the upstream's head and every body byte the
/// upstream gets (chunked framing included), ends with the body, and is cancelled with a
/// request cut short.
@Suite struct MirrorPhaseTests {
    typealias H = ConnectionHarness

    static func mirrored(_ base: RoutePolicy = H.streaming) -> RoutePolicy {
        var policy = base
        policy.mirror = MirrorPolicy(backend: 0, target: "default/app:80")
        return policy
    }

    @Test func aBodylessRequestsCopyIsOpenedAndEndedAtOnce() {
        let h = H(policy: Self.mirrored(RoutePolicy()))
        let actions = h.receive(H.get)
        #expect(actions.count == 3, "\(actions)")
        #expect(actions.first?.hasPrefix("mirror 10.0.0.") == true && actions.first?.hasSuffix(": GET / HTTP/1.1") == true, "\(actions)")
        #expect(Array(actions.dropFirst()) == ["mirror end", "connect 10.0.0.1:80 pooled"])
        _ = h.connected()
        #expect(h.mirrorBytes == h.upstreamBytes)  // the head the upstream got
    }

    @Test func theBodyIsTeedAsItIsForwarded() {
        let h = H(policy: Self.mirrored())
        _ = h.receive("POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n12345")
        #expect(h.connected() == ["begin", "up: POST /up HTTP/1.1", "up: 12345", "mirror: 12345", "up flush"])
        #expect(h.receive("67890") == ["up: 67890", "mirror: 67890", "mirror end", "up flush"])
        #expect(h.mirrorBytes == h.upstreamBytes)
    }

    @Test func aChunkedBodyIsCopiedAsTheUpstreamGetsIt() {
        let h = H(policy: Self.mirrored())
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        _ = h.connected()
        let end = h.receive("0\r\nX-Trailer: dropped\r\n\r\n")
        #expect(end.contains("mirror end"), "\(end)")
        #expect(h.mirrorBytes == h.upstreamBytes)
        #expect(!h.mirrorBytes.contains("X-Trailer"))
    }

    @Test func aRequestCutShortCancelsItsCopy() {
        let h = H(policy: Self.mirrored())
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        _ = h.connected()
        let actions = h.receive("zz\r\n")  // not a chunk size: 400, both ends cut
        #expect(actions.contains("mirror cancel"), "\(actions)")
        #expect(!actions.contains("mirror end"))
    }

    @Test func aRefusedRequestIsNotCopied() {
        var policy = Self.mirrored(RoutePolicy())
        policy.maxBodySize = 4
        let h = H(policy: policy)
        let actions = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n1234567890")
        #expect(!actions.contains { $0.hasPrefix("mirror") }, "\(actions)")
    }
}
