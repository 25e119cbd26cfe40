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
        policy.mirrors = [MirrorPolicy(backend: 0, target: "default/app:80")]
        return policy
    }

    @Test func aBodylessRequestsCopyIsWholeWithItsHead() {
        let h = H(policy: Self.mirrored(RoutePolicy()))
        let actions = h.receive(H.get)
        #expect(actions.count == 2, "\(actions)")
        #expect(actions.first?.hasPrefix("mirror 10.0.0.") == true && actions.first?.hasSuffix(": GET / HTTP/1.1 (whole)") == true, "\(actions)")
        #expect(Array(actions.dropFirst()) == ["connect 10.0.0.1:80 pooled"])
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

    @Test func everyMirrorGetsItsCopyAndTheBodyGoesToThoseThatCarryIt() {
        var policy = H.streaming
        policy.mirrors = [
            MirrorPolicy(backend: 0, target: "default/app:80"),
            MirrorPolicy(backend: 0, target: "default/app:80", host: Array("headless.test".utf8), withBody: false),
            MirrorPolicy(backend: 0, target: "default/app:80", fraction: .init(numerator: 0, denominator: 100)),
        ]
        let h = H(policy: policy)
        let begun = h.receive("POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n12345").filter { $0.hasPrefix("mirror") }
        #expect(begun.count == 2, "\(begun)")  // the third's share is 0
        #expect(begun.first?.hasSuffix(": POST /up HTTP/1.1") == true && begun.last?.hasSuffix(": POST /up HTTP/1.1 (whole)") == true, "\(begun)")
        #expect(h.connected().filter { $0.hasPrefix("mirror") } == ["mirror: 12345"])  // one write, for every copy with the body
        #expect(h.receive("67890").filter { $0.hasPrefix("mirror") } == ["mirror: 67890", "mirror end"])
    }

    @Test func aRefusedRequestIsNotCopied() {
        var policy = Self.mirrored(RoutePolicy())
        policy.maxBodySize = 4
        let h = H(policy: policy)
        let actions = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n1234567890")
        #expect(!actions.contains { $0.hasPrefix("mirror") }, "\(actions)")
    }
}

/// `mirror-target`'s copies: their own target (`$request_uri`, a fixed path with the query),
/// `Host`, and no body with `mirror-request-body: off`.
@Suite struct MirrorTargetPhaseTests {
    typealias H = ConnectionHarness

    static func harness(path: MirrorPolicy.Path, withBody: Bool = true) -> H {
        var policy = H.streaming
        policy.mirrors = [MirrorPolicy(backend: 0, target: "http://shadow", path: path, host: Array("shadow.test".utf8), withBody: withBody)]
        return H(policy: policy)
    }

    @Test func requestURIIsTheClientsTarget() {
        let h = Self.harness(path: .template([Array("/copy".utf8), []]))
        let actions = h.receive("GET /a/b?x=1 HTTP/1.1\r\nHost: app.test\r\nX-Custom: kept\r\n\r\n")
        #expect(actions.first?.hasSuffix(": GET /copy/a/b?x=1 HTTP/1.1 (whole)") == true, "\(actions)")
        #expect(h.mirrorBytes.contains("\r\nHost: shadow.test\r\n"))
        #expect(!h.mirrorBytes.contains("\r\nHost: app.test"))
        #expect(h.mirrorBytes.contains("\r\nX-Custom: kept\r\n"))
        #expect(h.mirrorBytes.hasSuffix("\r\n\r\n"))
    }

    @Test func aFixedPathKeepsTheQuery() {
        let h = Self.harness(path: .fixed(Array("/mirror".utf8)))
        let actions = h.receive("GET /a/b?x=1 HTTP/1.1\r\nHost: app.test\r\n\r\n")
        #expect(actions.first?.hasSuffix(": GET /mirror?x=1 HTTP/1.1 (whole)") == true, "\(actions)")
    }

    @Test func withoutTheBodyTheCopyEndsWithItsHead() {
        let h = Self.harness(path: .asUpstream, withBody: false)
        let actions = h.receive("POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\n")
        #expect(actions.first?.hasSuffix(" (whole)") == true, "\(actions)")
        _ = h.connected()
        _ = h.receive("12345")
        #expect(!h.mirrorBytes.contains("Content-Length"))
        #expect(!h.mirrorBytes.contains("12345"))
        #expect(h.upstreamBytes.contains("12345"))
    }
}
