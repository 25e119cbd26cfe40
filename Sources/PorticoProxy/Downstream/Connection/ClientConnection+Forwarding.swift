import NIOCore
import PorticoRouting

/// What a trusted proxy in front of Portico says about the client: ingress-nginx's realip
/// module (`enable-real-ip`, `use-forwarded-headers`: `real_ip_header <forwarded-for-header>`,
/// `real_ip_recursive on`, `set_real_ip_from <proxy-real-ip-cidr>`) and lua_ingress.lua's
/// `use_forwarded_headers` (the scheme, port and host a TLS-terminating load balancer saw).
///
/// ingress-nginx believes `X-Forwarded-Proto`/`-Port`/`-Host` from any client once
/// `use-forwarded-headers` is on; Portico only from peers in `proxy-real-ip-cidr` (the default
/// `0.0.0.0/0` makes that every IPv4 client, as there). Nothing here runs unless the ConfigMap
/// (or `--trusted-proxies`) turns it on.
extension ClientConnection {
    /// Whether the peer is a proxy whose forwarding headers are believed.
    var peerIsTrusted: Bool {
        guard let forwarding = self.loop.configuration.forwarding else { return false }
        let peer = self.forwarding.peerBytes
        return forwarding.trustedRanges.contains { $0.contains(peer) }
    }

    /// The forwarding settings when the peer is trusted and its scheme, port and host count.
    private var trustedForwardedHeaders: ServerSettings.Forwarding? {
        guard let forwarding = self.loop.configuration.forwarding, forwarding.useForwardedHeaders, self.peerIsTrusted else { return nil }
        return forwarding
    }

    /// Whether the request came over HTTPS: this listener's, or a trusted proxy's
    /// `X-Forwarded-Proto` (so `ssl-redirect` does not loop behind a TLS-terminating balancer).
    func isHTTPS(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard self.trustedForwardedHeaders != nil, let proto = self.fieldValue(named: Self.xForwardedProto, in: bytes) else {
            return self.isTLS
        }
        return UnsafeRawBufferPointer(rebasing: bytes[proto]).elementsEqual("https".utf8)
    }

    /// The client address a trusted proxy reported: walking the forwarded-for header from the
    /// right, the first address that is not itself a trusted proxy (`real_ip_recursive on`).
    /// Nil when the peer is not trusted (the header then only moves to
    /// `X-Original-Forwarded-For`).
    func realClientAddress() -> (text: String, bytes: [UInt8])? {
        guard let forwarding = self.loop.configuration.forwarding, forwarding.readsClientAddress, self.peerIsTrusted else { return nil }
        let value: String? = self.inbound.withUnsafeReadableBytes { bytes in
            let range = forwarding.usesXForwardedFor
                ? self.head.forwardedFor : self.fieldValue(named: Array(forwarding.forwardedForHeader.utf8), in: bytes)
            return range.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
        }
        guard let value else { return nil }
        let entries = value.split(separator: ",").map { String($0.filter { $0 != " " && $0 != "\t" }) }
        var candidate: (String, [UInt8])?
        for entry in entries.reversed() {
            guard let bytes = IPAddressBytes.parse(entry) else { return candidate }
            candidate = (entry, bytes)
            if !forwarding.trustedRanges.contains(where: { $0.contains(bytes) }) { return candidate }
        }
        return candidate
    }

    /// How the upstream request's forwarding fields differ from the listener's own: the
    /// trusted proxy's `X-Forwarded-Proto`/`-Port`/`-Host`, and whether `X-Forwarded-For`
    /// carries the whole chain. Nil (nothing differs) unless the ConfigMap turns these on.
    func forwardedFields(in bytes: UnsafeRawBufferPointer) -> UpstreamRequestWriter.ForwardedFields? {
        guard let forwarding = self.loop.configuration.forwarding else { return nil }
        // ingress-nginx extends anyone's chain (`$full_x_forwarded_for`); Portico only a trusted
        // peer's, so a client cannot plant addresses a backend would take for its proxies'.
        let trusted = self.peerIsTrusted
        var fields = UpstreamRequestWriter.ForwardedFields(
            fullChain: trusted && forwarding.useForwardedHeaders && forwarding.computeFullForwardedFor)
        if trusted, forwarding.useForwardedHeaders {
            let proto = self.fieldValue(named: Self.xForwardedProto, in: bytes)
            let port = self.fieldValue(named: Self.xForwardedPort, in: bytes)
            if proto != nil || port != nil {
                let scheme = proto.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
                    ?? (self.isTLS ? "https" : "http")
                let portText = port.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
                    ?? String(self.forwarding.listenerPort)
                fields.listener = ForwardingContext.listenerFields(port: portText, scheme: scheme)
            }
            fields.host = self.fieldValue(named: Self.xForwardedHost, in: bytes).map { range in
                // lua_ingress.lua `parse_x_forwarded_host`: the first of a list.
                let value = UnsafeRawBufferPointer(rebasing: bytes[range])
                let end = value.firstIndex(of: UInt8(ascii: ",")) ?? value.count
                return Array(value[0..<end]).trimmingSpaces()
            }
        }
        return fields.fullChain || fields.listener != nil || fields.host != nil ? fields : nil
    }

    static let xForwardedProto = Array("x-forwarded-proto".utf8)
    static let xForwardedPort = Array("x-forwarded-port".utf8)
    static let xForwardedHost = Array("x-forwarded-host".utf8)
}

extension Array where Element == UInt8 {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> [UInt8] {
        var slice = self[...]
        while let first = slice.first, first == HTTPBytes.sp || first == HTTPBytes.htab { slice = slice.dropFirst() }
        while let last = slice.last, last == HTTPBytes.sp || last == HTTPBytes.htab { slice = slice.dropLast() }
        return Array(slice)
    }
}
