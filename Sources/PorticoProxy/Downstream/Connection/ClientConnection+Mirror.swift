import NIOCore
import PorticoRouting

/// Phase: mirror (Gateway API `RequestMirror`; nginx's `mirror` runs in the precontent phase,
/// after the access checks). When the request goes upstream, its copy is opened to an endpoint
/// of the mirror backend with the head the upstream gets; the body follows as it is forwarded
/// (`forward`). A backend without ready endpoints gets no copy. The copy's answer is ignored,
/// and the request never waits for it.
extension ClientConnection {
    mutating func startMirror(_ mirror: MirrorPolicy, _ exchange: inout Exchange, now: NIODeadline) {
        exchange.mirror = nil
        let backend = self.loop.generation.backends[mirror.backend]
        guard !backend.endpoints.isEmpty else { return }
        let endpoint = backend.endpoint(start: backend.nextStart(loop: self.loop.index), attempt: 0, now: now, skipped: &self.loop.counters.endpointsSkipped)
        self.actions.append(.mirrorBegin(endpoint, head: exchange.upstreamRequestHead, timeout: exchange.readTimeout))
        if exchange.body.isComplete {
            self.actions.append(.mirrorEnd)
        } else {
            exchange.mirroring = true
        }
    }
}
