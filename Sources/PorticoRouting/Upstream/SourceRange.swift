/// A CIDR block of client addresses (`whitelist-source-range` / `allowlist-source-range`).
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let address: [UInt8]
    public let prefixLength: Int

    public init?(address: [UInt8], prefixLength: Int) {
        guard address.count == 4 || address.count == 16, (0...(address.count * 8)).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Whether `peer` (4 or 16 bytes) is inside the block. An IPv4 block never matches an IPv6
    /// peer and the other way round.
    @inlinable
    public func contains(_ peer: [UInt8]) -> Bool {
        guard peer.count == self.address.count else { return false }
        var remaining = self.prefixLength
        var index = 0
        while remaining >= 8 {
            if peer[index] != self.address[index] { return false }
            remaining -= 8
            index += 1
        }
        guard remaining > 0 else { return true }
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - remaining))
        return peer[index] & mask == self.address[index] & mask
    }

    public var description: String {
        let text =
            self.address.count == 4
            ? self.address.map(String.init).joined(separator: ".")
            : stride(from: 0, to: 16, by: 2).map { String(UInt16(self.address[$0]) << 8 | UInt16(self.address[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        return "\(text)/\(self.prefixLength)"
    }
}
