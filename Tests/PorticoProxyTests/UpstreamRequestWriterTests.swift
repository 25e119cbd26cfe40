import NIOCore
import Testing

@testable import PorticoProxy

@Suite struct UpstreamRequestWriterTests {
    func forward(_ text: String) -> String {
        var head = RequestHead()
        let bytes = Array(text.utf8)
        var out = ByteBuffer()
        var ids = RequestIDGenerator()
        bytes.withUnsafeBytes { pointer in
            _ = RequestHeadParser.parse(pointer, into: &head)
            UpstreamRequestWriter.write(
                head, from: pointer, forwarding: ForwardingContext(peerAddress: "10.0.0.7", listenerPort: 80),
                requestID: ids.nextID(), into: &out)
        }
        return String(buffer: out)
    }

    @Test func forwardedHeadersFollowIngressNginx() {
        let sent = self.forward(
            "GET /a?b HTTP/1.1\r\nHost: h.test:8080\r\nAccept: */*\r\nX-Forwarded-For: 1.1.1.1\r\nX-Real-IP: 6.6.6.6\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nProxy: evil\r\nX_Under: 1\r\nX-Request-ID: abc\r\n\r\n")
        #expect(sent.hasPrefix("GET /a?b HTTP/1.1\r\nHost: h.test:8080\r\nAccept: */*\r\nX-Request-ID: abc\r\n"))
        #expect(sent.contains("X-Real-IP: 10.0.0.7\r\nX-Forwarded-For: 10.0.0.7\r\nX-Original-Forwarded-For: 1.1.1.1\r\n"))
        #expect(sent.contains("X-Forwarded-Host: h.test:8080\r\nX-Forwarded-Port: 80\r\nX-Forwarded-Proto: http\r\n"))
        #expect(sent.hasSuffix("X-Scheme: http\r\n\r\n"))
        for dropped in ["6.6.6.6", "X-Hop", "Keep-Alive", "Proxy:", "X_Under", "Connection"] {
            #expect(!sent.contains(dropped), "\(dropped) must not be forwarded")
        }
    }

    @Test func generatesARequestID() {
        let sent = self.forward("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let line = sent.split(separator: "\r\n").first { $0.hasPrefix("X-Request-ID: ") }
        #expect(line?.count == "X-Request-ID: ".count + 32)
    }

    @Test func upgradeIsForwardedOnlyWhenAsked() {
        let sent = self.forward("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(sent.contains("Upgrade: websocket\r\n"))
        #expect(sent.contains("Connection: upgrade\r\n"))
        #expect(!self.forward("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").contains("Upgrade"))
    }
}

@Suite struct AllowedUpgradeTests {
    func allows(_ value: String, _ allowed: [String] = ["websocket"]) -> Bool {
        var configuration = ProxyConfiguration()
        configuration.allowedUpgrades = allowed.map { Array($0.utf8) }
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBytes { configuration.allowsUpgrade($0, 0..<bytes.count) }
    }

    /// Every protocol of the list must be allowed; case does not matter (RFC 9110 §7.8).
    @Test func onlyListedProtocolsPass() {
        #expect(self.allows("websocket"))
        #expect(self.allows("WebSocket"))
        #expect(self.allows(" websocket , "))
        #expect(!self.allows("h2c"))
        #expect(!self.allows("websocket, h2c"))
        #expect(!self.allows(""))
        #expect(!self.allows(" , "))
        #expect(self.allows("h2c", ["websocket", "h2c"]))  // --allowed-upgrades widens the list
    }
}
