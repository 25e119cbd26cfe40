import NIOCore
import PorticoRouting

/// Phase: mirror (Gateway API `RequestMirror`; nginx's `mirror` runs in the precontent phase,
/// after the access checks). When the request goes upstream, its copy is opened to an endpoint
/// of the mirror backend with the head the upstream gets; the body follows as it is forwarded
/// (`forward`). A backend without ready endpoints gets no copy. The copy's answer is ignored,
/// and the request never waits for it.
extension ClientConnection {
    /// `head`: the copy's own, nil for the upstream's.
    mutating func startMirror(backend id: BackendID, withBody: Bool, head: ByteBuffer?, _ exchange: inout Exchange, now: NIODeadline) {
        exchange.mirror = .none
        let backend = self.loop.generation.backends[id]
        guard !backend.endpoints.isEmpty else { return }
        let endpoint = backend.endpoint(start: backend.nextStart(loop: self.loop.index), attempt: 0, now: now, skipped: &self.loop.counters.endpointsSkipped)
        self.actions.append(.mirrorBegin(endpoint, head: head ?? exchange.upstreamRequestHead, timeout: exchange.readTimeout))
        if exchange.body.isComplete || !withBody {
            self.actions.append(.mirrorEnd)
        } else {
            exchange.mirror = .streaming
        }
    }

    /// The copy's own head (`mirror-target`'s path, `mirror-host`, no body), written while the
    /// client's head bytes are at hand.
    func mirrorHead(_ mirror: MirrorPolicy, upstreamHead: ByteBuffer) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: upstreamHead.readableBytes + 64)
        self.inbound.withUnsafeReadableBytes { client in
            let target = UnsafeRawBufferPointer(rebasing: client[self.head.targetStart..<self.head.targetEnd])
            let query = UnsafeRawBufferPointer(rebasing: client[self.head.pathEnd..<self.head.targetEnd])
            upstreamHead.withUnsafeReadableBytes { MirrorHeadWriter.write($0, mirror: mirror, requestTarget: target, query: query, into: &out) }
        }
        return out
    }
}
