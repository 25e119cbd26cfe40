import NIOCore
import PorticoRouting

extension ClientConnection {
    /// Phase: upstream choice, canary step (ingress-nginx balancer.lua
    /// `route_to_alternative_balancer`; the order is `CanaryPolicy`'s). A canary without ready
    /// endpoints is never chosen (it has no balancer there).
    mutating func choosesCanary(
        _ canary: CanaryPolicy, main: ProxyBackend, alternative: ProxyBackend, affinity: CookieAffinity?, now: NIODeadline
    ) -> Bool {
        guard !alternative.endpoints.isEmpty else { return false }
        if let affinity {
            if self.endpointFromCookie(affinity, backend: main, now: now) != nil { return false }
            if self.endpointFromCookie(affinity, backend: alternative, now: now) != nil { return true }
        }
        let decided = self.inbound.withUnsafeReadableBytes { bytes -> Bool? in
            let header = canary.header.flatMap { self.fieldValue(named: $0, in: bytes) }
            let cookie = canary.cookie.flatMap { self.cookieValue(named: $0, in: bytes) }
            return canary.decide(
                headerValue: header.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                cookieValue: cookie.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }, scratch: self.loop.routing.regex)
        }
        if let decided { return decided }
        guard canary.weight > 0 else { return false }
        return canary.chosenByWeight(roll: Int(self.loop.requestIDs.next() % UInt64(canary.weightTotal)) + 1)
    }
}
