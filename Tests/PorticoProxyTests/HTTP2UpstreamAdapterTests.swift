import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import PorticoProxy

/// `HTTP2UpstreamAdapter` without sockets (an `EmbeddedChannel`): the HTTP/1.1 exchange the
/// `UpstreamHandler` writes becomes HEADERS/DATA frames on one stream at a time, and the gRPC
/// server's frames come back as an HTTP/1.1 answer with a chunked body and its trailers.
@Suite struct HTTP2UpstreamAdapterTests {
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP2UpstreamAdapter(tls: false))
        channel.pipeline.fireChannelActive()  // as the HTTP/2 handler does once its preface is out
        return channel
    }

    static func frames(_ channel: EmbeddedChannel) throws -> [HTTP2Frame] {
        var frames: [HTTP2Frame] = []
        while let frame = try channel.readOutbound(as: HTTP2Frame.self) { frames.append(frame) }
        return frames
    }

    @Test func aRequestBecomesFramesAndTheAnswerChunksWithTrailers() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(ByteBuffer(string:
            "POST /pkg.Svc/Call HTTP/1.1\r\nHost: grpc.test\r\nContent-Type: application/grpc\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
        let sent = try Self.frames(channel)
        #expect(sent.count == 3, "\(sent)")
        guard case .headers(let headers) = sent[0].payload, case .data(let data) = sent[1].payload, case .data(let end) = sent[2].payload else {
            Issue.record("unexpected frames \(sent)")
            return
        }
        #expect(sent[0].streamID == 1 && !headers.endStream)
        let fields = headers.headers.map { "\($0.name)=\($0.value)" }
        #expect(fields == [":method=POST", ":scheme=http", ":authority=grpc.test", ":path=/pkg.Svc/Call", "content-type=application/grpc",
                           "x-forwarded-for=10.0.0.9", "te=trailers"])
        guard case .byteBuffer(let bytes) = data.data else { return }
        #expect(String(buffer: bytes) == "hello" && !data.endStream)
        #expect(end.endStream)

        // The answer: HEADERS, DATA, trailers.
        try channel.writeInbound(HTTP2Frame(streamID: 1, payload: .headers(.init(headers: [":status": "200", "content-type": "application/grpc"]))))
        try channel.writeInbound(HTTP2Frame(streamID: 1, payload: .data(.init(data: .byteBuffer(ByteBuffer(string: "world"))))))
        try channel.writeInbound(HTTP2Frame(streamID: 1, payload: .headers(.init(headers: ["grpc-status": "0", "grpc-message": "ok"], endStream: true))))
        var answer = ""
        while let part = try channel.readInbound(as: ByteBuffer.self) { answer += String(buffer: part) }
        #expect(answer == "HTTP/1.1 200 \r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n5\r\nworld\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n")
        // The DATA's bytes went back to both windows.
        let updates = try Self.frames(channel).compactMap { frame -> String? in
            guard case .windowUpdate(let size) = frame.payload else { return nil }
            return "\(Int(frame.streamID))=\(size)"
        }
        #expect(updates == ["1=5", "0=5"])

        // The next exchange on the pooled connection takes the next stream; a Trailers-Only
        // answer (a gRPC error) is a head with no body.
        try channel.writeOutbound(ByteBuffer(string: "POST /pkg.Svc/Call HTTP/1.1\r\nHost: grpc.test\r\nContent-Length: 0\r\n\r\n"))
        let second = try Self.frames(channel)
        #expect(second.first?.streamID == 3)
        try channel.writeInbound(HTTP2Frame(streamID: 3, payload: .headers(.init(headers: [":status": "200", "grpc-status": "5", "content-length": "0"], endStream: true))))
        let trailersOnly = try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }
        #expect(trailersOnly == "HTTP/1.1 200 \r\ngrpc-status: 5\r\ncontent-length: 0\r\n\r\n")
        _ = try? channel.finish()
    }

    /// An upstream cannot inject a line through HPACK: a value with CR/LF is left out.
    @Test func aFieldThatCouldEndALineIsLeftOut() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        _ = try Self.frames(channel)
        var headers = HPACKHeaders()
        headers.add(name: ":status", value: "200")
        headers.add(name: "x-evil", value: "a\r\nset-cookie: stolen")
        headers.add(name: "x-fine", value: "yes")
        try channel.writeInbound(HTTP2Frame(streamID: 1, payload: .headers(.init(headers: headers, endStream: true))))
        let answer = try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } ?? ""
        #expect(!answer.contains("x-evil") && !answer.contains("stolen") && answer.contains("x-fine: yes\r\n"), "\(answer)")
        _ = try? channel.finish()
    }

    /// Frames written before the HTTP/2 handler has sent its preface wait for it.
    @Test func writesWaitForThePreface() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP2UpstreamAdapter(tls: true))
        try channel.writeOutbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(try Self.frames(channel).isEmpty)
        channel.pipeline.fireChannelActive()
        let frames = try Self.frames(channel)
        guard case .headers(let headers)? = frames.first?.payload else {
            Issue.record("no HEADERS after the preface: \(frames)")
            return
        }
        #expect(headers.headers.first(name: ":scheme") == "https" && headers.endStream)
        _ = try? channel.finish()
    }
}
