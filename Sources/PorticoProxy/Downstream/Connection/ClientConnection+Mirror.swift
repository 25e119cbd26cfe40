import NIOCore
import PorticoRouting

/// Phase: mirror (Gateway API `RequestMirror`; nginx's `mirror` runs in the precontent phase,
/// after the access checks). When the request goes upstream, its copy is opened to an endpoint
/// of the mirror backend with the head the upstream gets; the body follows as it is forwarded
/// (`forward`). A backend without ready endpoints gets no copy. The copy's answer is ignored,
/// and the request never waits for it.
extension ClientConnection {
    /// The state of a request's mirror copies.
    enum MirrorCopy {
        case none
        /// To be opened when the request goes upstream.
        case pending([PendingMirror])
        /// Open: every body byte sent upstream goes to the copies that carry the body too.
        case streaming

        var isStreaming: Bool {
            if case .streaming = self { return true }
            return false
        }
    }

    /// A copy to open: the mirror backend, whether the body goes too, and the copy's own head
    /// when it is not the upstream's.
    struct PendingMirror {
        let backend: BackendID
        let withBody: Bool
        let head: ByteBuffer?
    }

    /// The copies this request gets: every mirror of the route whose share (`percent`,
    /// `fraction`) draws it, with their heads written while the client's head is at hand.
    mutating func mirrorPhase(_ policies: [MirrorPolicy], upstreamHead: ByteBuffer) -> MirrorCopy {
        var copies: [PendingMirror] = []
        for policy in policies where policy.fraction?.admits(roll: self.loop.requestIDs.next()) ?? true {
            copies.append(
                PendingMirror(backend: policy.backend, withBody: policy.withBody, head: policy.rewritesHead ? self.mirrorHead(policy, upstreamHead: upstreamHead) : nil))
        }
        return copies.isEmpty ? .none : .pending(copies)
    }

    /// Opens the copies, each to an endpoint of its backend (one without ready endpoints gets
    /// none).
    mutating func startMirrors(_ copies: [PendingMirror], _ exchange: Exchange, now: NIODeadline) {
        self.mirror = .none
        var streams = false
        for copy in copies {
            let backend = self.loop.generation.backends[copy.backend]
            guard !backend.endpoints.isEmpty else { continue }
            let endpoint = backend.endpoint(start: backend.nextStart(loop: self.loop.index), attempt: 0, now: now, skipped: &self.loop.counters.endpointsSkipped)
            let streamsBody = copy.withBody && !exchange.body.isComplete
            self.actions.append(.mirrorBegin(endpoint, head: copy.head ?? exchange.upstreamRequestHead, timeout: exchange.readTimeout, streamsBody: streamsBody))
            streams = streams || streamsBody
        }
        if streams { self.mirror = .streaming }
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
