/// The request-line facts an access-log line needs after the head bytes are gone, kept in one
/// reusable array per connection (no allocation once it has grown).
struct RequestLogRecord {
    private(set) var bytes: [UInt8] = []
    private(set) var methodEnd = 0
    private(set) var targetEnd = 0
    var isHTTP11 = true

    mutating func record(_ head: RequestHead, _ bytes: UnsafeRawBufferPointer) {
        self.bytes.removeAll(keepingCapacity: true)
        self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<head.methodEnd]))
        self.methodEnd = self.bytes.count
        self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[head.targetStart..<head.targetEnd]))
        self.targetEnd = self.bytes.count
        if let host = head.authority ?? head.hostValue {
            self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[host]))
        }
        self.isHTTP11 = head.isHTTP11
    }

    /// For requests refused before their head could be parsed.
    mutating func recordUnparsed() {
        self.bytes = Array("--".utf8)
        self.methodEnd = 1
        self.targetEnd = 2
    }

    func withParts<T>(_ body: (_ method: UnsafeRawBufferPointer, _ target: UnsafeRawBufferPointer, _ host: UnsafeRawBufferPointer) -> T) -> T {
        self.bytes.withUnsafeBytes { all in
            body(
                UnsafeRawBufferPointer(rebasing: all[0..<self.methodEnd]),
                UnsafeRawBufferPointer(rebasing: all[self.methodEnd..<self.targetEnd]),
                UnsafeRawBufferPointer(rebasing: all[self.targetEnd...]))
        }
    }
}
