import NIOCore
import Testing

@testable import PorticoProxy

/// The loop's spare head buffers: reuse when nothing else holds a buffer, a copy when
/// something does, and bounds on what is kept.
@Suite struct SpareHeadBuffersTests {
    static func storage(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func aBufferHandedBackIsReusedEmpty() {
        var spares = SpareHeadBuffers()
        var head = spares.take(capacity: 512)
        head.writeString("GET / HTTP/1.1\r\n\r\n")
        let storage = Self.storage(head)
        spares.give(head)
        head = ByteBuffer()  // the exchange let go of it
        let next = spares.take(capacity: 256)
        #expect(Self.storage(next) == storage, "the same storage, no allocation")
        #expect(next.readableBytes == 0)
        #expect(spares.count == 0)
    }

    /// A buffer still held elsewhere (a write not yet out, a mirror copy) keeps its bytes: the
    /// reuse copies instead of writing over them.
    @Test func aBufferStillHeldElsewhereIsNotOverwritten() {
        var spares = SpareHeadBuffers()
        var head = spares.take(capacity: 512)
        head.writeString("GET /first HTTP/1.1\r\n\r\n")
        spares.give(head)
        var next = spares.take(capacity: 256)
        next.writeString("GET /second HTTP/1.1\r\n\r\n")
        #expect(Self.storage(next) != Self.storage(head))
        #expect(head.getString(at: head.readerIndex, length: head.readableBytes) == "GET /first HTTP/1.1\r\n\r\n")
        #expect(spares.count == 1, "it waits for a later turn")
        let storage = Self.storage(head)
        head = ByteBuffer()  // the write went out
        #expect(Self.storage(spares.take(capacity: 256)) == storage)
    }

    @Test func onlySoManyAndNoneTooLargeAreKept() {
        var spares = SpareHeadBuffers()
        spares.give(ByteBufferAllocator().buffer(capacity: SpareHeadBuffers.largest * 2))
        #expect(spares.count == 0, "a head past the largest kept size is let go")
        for _ in 0..<(SpareHeadBuffers.kept + 5) { spares.give(ByteBufferAllocator().buffer(capacity: 256)) }
        #expect(spares.count == SpareHeadBuffers.kept, "the oldest go")
        let larger = spares.take(capacity: 4096)
        #expect(larger.capacity >= 4096, "one too small is not handed out")
        #expect(spares.count == SpareHeadBuffers.kept)
    }
}
