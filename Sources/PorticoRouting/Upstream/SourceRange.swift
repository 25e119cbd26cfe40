#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

extension SourceRange {
    /// `10.0.0.0/8`, `192.168.1.7` (a /32), `2001:db8::/32`.
    public static func parse(_ text: String) -> SourceRange? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = IPAddressBytes.parse(String(parts[0])) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let length else { return nil }
        return SourceRange(address: bytes, prefixLength: length)
    }
}

/// IP address text to its network-order bytes (4 or 16).
public enum IPAddressBytes {
    public static func parse(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
