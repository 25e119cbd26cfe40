import NIOCore
import PorticoRouting

extension ProxyConnectionHandler {
    /// The client address a trusted proxy reported: walking `X-Forwarded-For` from the right,
    /// the first address that is not itself a trusted proxy (nginx `real_ip_recursive on`).
    /// Only consulted when the peer is in `--trusted-proxies`; otherwise the header is not
    /// believed at all (it only moves to `X-Original-Forwarded-For`).
    func realClientAddress() -> (text: String, bytes: [UInt8])? {
        guard self.peerIsTrusted, let range = self.head.forwardedFor else { return nil }
        let value = self.inbound.withUnsafeReadableBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[range]), as: UTF8.self) }
        let entries = value.split(separator: ",").map { String($0.filter { $0 != " " && $0 != "\t" }) }
        var candidate: (String, [UInt8])?
        for entry in entries.reversed() {
            guard let bytes = IPAddressBytes.parse(entry) else { return candidate }
            candidate = (entry, bytes)
            if !self.loop.configuration.trustedProxies.contains(where: { $0.contains(bytes) }) { return candidate }
        }
        return candidate
    }
}
