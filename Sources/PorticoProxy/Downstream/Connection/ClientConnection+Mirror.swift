import NIOCore
import PorticoRouting

/// Phase: mirror (Gateway API `RequestMirror`; nginx's `mirror` runs in the precontent phase,
/// after the access checks). When the request goes upstream, its copy is opened to an endpoint
/// of the mirror backend with the head the upstream gets; the body follows as it is forwarded
/// (`forward`). A backend without ready endpoints gets no copy. The copy's answer is ignored,
/// and the request never waits for it.
extension ClientConnection {
    /// The state of a request's mirror copy.
    enum MirrorCopy {
        case none
        /// To be opened when the request goes upstream: the mirror backend, whether the body
        /// goes too, and the copy's own head when it is not the upstream's.
        case pending(backend: BackendID, withBody: Bool, head: ByteBuffer?)
        /// Open: every body byte sent upstream goes to it too.
        case streaming

        var isStreaming: Bool {
            if case .streaming = self { return true }
            return false
        }
    }

    /// `head`: the copy's own, nil for the upstream's.
    mutating func startMirror(backend id: BackendID, withBody: Bool, head: ByteBuffer?, _ exchange: Exchange, now: NIODeadline) {
        self.mirror = .none
        let backend = self.loop.generation.backends[id]
        guard !backend.endpoints.isEmpty else { return }
        let endpoint = backend.endpoint(start: backend.nextStart(loop: self.loop.index), attempt: 0, now: now, skipped: &self.loop.counters.endpointsSkipped)
        self.actions.append(.mirrorBegin(endpoint, head: head ?? exchange.upstreamRequestHead, timeout: exchange.readTimeout))
        if exchange.body.isComplete || !withBody {
            self.actions.append(.mirrorEnd)
        } else {
            self.mirror = .streaming
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
