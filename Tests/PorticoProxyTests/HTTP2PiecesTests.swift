import NIOCore
import NIOEmbedded
import Testing

@testable import PorticoProxy

/// The small parts under the HTTP/2 path: chunk framing written without Strings, the
/// percent-encodings of `grpc-message` and `ssl-client-cert`, and the flush coalescer.
@Suite struct HTTP2PiecesTests {
    @Test(arguments: [(1, "1"), (15, "f"), (16, "10"), (255, "ff"), (4096, "1000"), (70_000, "11170")])
    func chunkSizesAreHex(_ size: Int, _ hex: String) {
        var data = ByteBuffer(repeating: 0x61, count: size)
        var out = ByteBuffer()
        ChunkFraming.write(&data, into: &out)
        #expect(String(buffer: out) == hex + "\r\n" + String(repeating: "a", count: size) + "\r\n")
        var empty = ByteBuffer()
        var none = ByteBuffer()
        ChunkFraming.write(&empty, into: &none)
        #expect(none.readableBytes == 0)  // an empty chunk would end the body
    }

    @Test func percentEncodingKeepsWhatEachFieldAllows() {
        #expect(GRPCAnswer.percentEncoded("100% sure\u{e9}") == "100%25 sure%C3%A9")
        #expect(ClientConnection.escapedCertificate("-----BEGIN CERTIFICATE-----\nMIIB+/=\n") == "-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%2F%3D%0A")
    }

    /// A flush waits for the loop's turn (so several streams' answers go out in one write); a
    /// close carries out a flush still pending first.
    @Test func flushesWaitForTheLoopAndCloseDoesNotLoseThem() throws {
        let channel = EmbeddedChannel(handler: HTTP2FlushCoalescer())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.write(ByteBuffer(string: "one"), promise: nil)
        channel.flush()
        channel.write(ByteBuffer(string: "two"), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "one")
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "two")
        channel.write(ByteBuffer(string: "goaway"), promise: nil)
        channel.flush()
        channel.close(promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "goaway")
    }
}
