import NIOCore

/// The deterministic byte pattern of demo downloads and the hash used to check bodies: tests
/// compute the same on their side to prove 100 MiB crossed the proxy intact.
public enum DemoPattern {
    public static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Byte `i` of the pattern is `i % 251`.
    public static func byte(at offset: Int) -> UInt8 { UInt8(offset % 251) }

    static func write(offset: Int, count: Int, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            Self.fill(UnsafeMutableRawBufferPointer(rebasing: pointer[0..<count]), offset: offset)
            return count
        }
    }

    /// FNV-1a over raw bytes (a pointer loop: fast enough even in debug builds for 100 MiB).
    /// Fills `bytes` with the pattern starting at `offset`.
    public static func fill(_ bytes: UnsafeMutableRawBufferPointer, offset: Int) {
        guard var pointer = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let end = pointer + bytes.count
        var value = UInt8(offset % 251)
        while pointer < end {
            pointer.pointee = value
            value = value == 250 ? 0 : value + 1
            pointer += 1
        }
    }

    public static func fnv1a(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = fnvOffset) -> UInt64 {
        guard var pointer = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return seed }
        let end = pointer + bytes.count
        var hash = seed
        while pointer < end {
            hash = (hash ^ UInt64(pointer.pointee)) &* 0x100_0000_01b3
            pointer += 1
        }
        return hash
    }
}
