import NIOCore

/// Generates `X-Request-ID` values: 32 lower-case hex digits, like nginx's `$request_id`.
///
/// A per-loop xoshiro256** seeded from the system generator: the system generator is a
/// `getrandom` system call per value, too slow for every request.
struct RequestIDGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        self.state = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    mutating func next() -> UInt64 {
        let result = Self.rotate(self.state.1 &* 5, 7) &* 9
        let t = self.state.1 << 17
        self.state.2 ^= self.state.0
        self.state.3 ^= self.state.1
        self.state.1 ^= self.state.2
        self.state.0 ^= self.state.3
        self.state.2 ^= t
        self.state.3 = Self.rotate(self.state.3, 45)
        return result
    }

    /// A new request's ID (128 bits).
    mutating func nextID() -> RequestID { RequestID(high: self.next(), low: self.next()) }

    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `value` as 16 lower-case hex digits (an endpoint's cookie value, a balanced session key).
    static func hex(_ value: UInt64) -> [UInt8] {
        (0..<16).map { Self.hexDigits[Int((value >> (60 - 4 * UInt64($0))) & 0xF)] }
    }
}

/// One request's ID, nginx's `$request_id`: the `X-Request-ID` its upstream request, auth
/// sub-request and error-page request carry (unless the client sent one) and the access log's
/// `$req_id`. Drawn once per request, so all of them agree, as nginx's one `$req_id` does.
struct RequestID: Equatable {
    var high: UInt64 = 0
    var low: UInt64 = 0

    func write(into out: inout ByteBuffer) {
        UpstreamRequestWriter.writeHex(self.high, into: &out)
        UpstreamRequestWriter.writeHex(self.low, into: &out)
    }

    /// The 32 hex digits.
    func append(to bytes: inout [UInt8]) {
        for value in [self.high, self.low] {
            for shift in stride(from: 60, through: 0, by: -4) { bytes.append(RequestIDGenerator.hexDigits[Int((value >> UInt64(shift)) & 0xF)]) }
        }
    }
}
