import NIOCore

/// Head buffers that finished exchanges handed back, for the next heads this loop writes: a
/// request's upstream head and its rewritten answer head were two buffers (four mallocs) per
/// request. Only a buffer nothing else holds any more is handed out again: one still in NIO's
/// unflushed writes (an answer head, when the exchange ends in the same read as its answer) or
/// held by a mirror copy waits in the list for a later turn, and the oldest goes when it is full.
struct SpareHeadBuffers {
    private var buffers: [ByteBuffer] = []

    /// At most this many are kept per loop, none larger than `largest`.
    static let kept = 32
    static let largest = 16 * 1024

    init() {
        self.buffers.reserveCapacity(Self.kept)
    }

    /// An empty buffer of at least `capacity` bytes: the latest one handed back that is large
    /// enough and no longer held elsewhere, else a new one.
    mutating func take(capacity: Int) -> ByteBuffer {
        var index = self.buffers.endIndex
        while index > self.buffers.startIndex {
            index -= 1
            guard self.buffers[index].capacity >= capacity else { continue }
            if self.buffers[index].modifyIfUniquelyOwned({ $0.clear() }) != nil {
                self.buffers.swapAt(index, self.buffers.endIndex - 1)
                return self.buffers.removeLast()
            }
        }
        return ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func give(_ buffer: ByteBuffer) {
        guard buffer.capacity <= Self.largest else { return }
        if self.buffers.count == Self.kept { self.buffers.removeFirst() }
        self.buffers.append(buffer)
    }

    var count: Int { self.buffers.count }
}
