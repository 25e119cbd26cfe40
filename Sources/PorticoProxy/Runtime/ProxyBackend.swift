import NIOCore
import PorticoRouting
import PorticoTLS
import Synchronization

/// One endpoint, with its address resolved once per generation (never per request) and a
/// passive health mark shared by all event loops.
public final class ProxyEndpoint: Sendable {
    public let address: SocketAddress
    public let display: String
    /// The cookie-affinity value naming this endpoint (16 hex digits of its address's hash).
    public let cookieValue: [UInt8]
    /// Latency and load for `load-balance: ewma`.
    let load = EndpointLoad()
    /// Uptime nanoseconds until which the endpoint is skipped after a failed connect.
    private let downUntil = Atomic<Int64>(0)
    /// TLS to this endpoint (`backend-protocol: HTTPS`), its backend's, and the endpoint's
    /// last session for resumption.
    let tls: UpstreamTLSClient?
    let tlsSession: TLSClientSessionSlot?
    /// `backend-protocol: GRPC`/`GRPCS`: HTTP/2 to this endpoint (`HTTP2UpstreamAdapter`).
    let http2: Bool

    init(address: SocketAddress, display: String, tls: UpstreamTLSClient? = nil, http2: Bool = false) {
        self.address = address
        self.display = display
        self.tls = tls
        self.http2 = http2
        self.tlsSession = tls == nil ? nil : TLSClientSessionSlot()
        self.cookieValue = RequestIDGenerator.hex(ProxyBackend.fnv1a(Array(display.utf8)))
    }

    func isDown(now: NIODeadline) -> Bool {
        self.downUntil.load(ordering: .relaxed) > Int64(now.uptimeNanoseconds)
    }

    /// After a refused or timed-out connect, skip the endpoint for a while so that one dead Pod
    /// costs at most one extra connect attempt per event loop, not one per request.
    func markDown(now: NIODeadline, for duration: TimeAmount) {
        self.downUntil.store(Int64(now.uptimeNanoseconds) + duration.nanoseconds, ordering: .relaxed)
    }
}

/// A backend's endpoints and its round-robin positions.
///
/// One position per event loop, each on a cache line of its own and touched only by its loop:
/// a counter shared by every loop would bounce its cache line between cores on every request.
/// Each loop starts at a different endpoint, so the loops together still spread requests
/// evenly (ingress-nginx's round_robin rotates per worker process in the same way).
public final class ProxyBackend: @unchecked Sendable {
    // @unchecked: `positions` is written only through `nextStart(loop:)`, and slot `loop` only
    // from event loop `loop`; everything else is immutable.
    /// What it was built from: a new generation whose backend is equal shares this object.
    public let source: Backend
    public let name: String
    public let endpoints: [ProxyEndpoint]
    public let unavailableReason: String?
    public let clientIPAffinity: Bool
    /// Per endpoint, a hash of its address mixed into rendezvous hashing.
    private let endpointSeeds: [UInt64]
    /// Round-robin positions, `Self.slotStride` Ints apart, one per loop; carried over from the
    /// previous generation so endpoint churn does not send every reload's first requests to
    /// the first Pods again.
    private let positions: UnsafeMutablePointer<Int>
    let loopCount: Int
    /// 64 bytes: one cache line per loop's position.
    static let slotStride = 8

    init(backend: Backend, previous: ProxyBackend?, loops: Int = 1) {
        self.source = backend
        self.name = backend.ref.description
        // The previous generation's TLS context when the settings are the same (they are part
        // of the ref, which matched), else a new one; one that cannot be built leaves the
        // backend without endpoints (503, with why) rather than speaking plain HTTP to it.
        var tls: UpstreamTLSClient?
        var tlsProblem: String?
        if let settings = backend.ref.tls {
            if let kept = previous?.endpoints.first?.tls, previous?.source.ref.tls == settings {
                tls = kept
            } else {
                do { tls = try UpstreamTLSClient(settings, for: backend.ref) } catch { tlsProblem = "TLS to the upstream cannot be set up (\(settings.secret ?? "backend-protocol: HTTPS")): \(error)" }
            }
        }
        var endpoints: [ProxyEndpoint] = []
        // Kept endpoints keep their object (health mark, EWMA, pooled connections): found by
        // their address, through a table once the lists are long enough to make a scan per
        // endpoint quadratic.
        let previousEndpoints = previous?.endpoints ?? []
        let byDisplay = previousEndpoints.count > 16 ? Dictionary(previousEndpoints.map { ($0.display, $0) }) { first, _ in first } : nil
        for endpoint in tlsProblem == nil ? backend.endpoints : [] {
            let display = endpoint.description
            let kept = byDisplay != nil ? byDisplay![display] : previousEndpoints.first { $0.display == display }
            if let kept {
                endpoints.append(kept)
            } else if let address = try? SocketAddress(ipAddress: endpoint.address, port: endpoint.port) {
                endpoints.append(ProxyEndpoint(address: address, display: endpoint.description, tls: tls, http2: backend.ref.http2))
            }
        }
        self.endpoints = endpoints
        self.unavailableReason = endpoints.isEmpty ? (tlsProblem ?? backend.unavailableReason ?? "no ready endpoints") : nil
        self.clientIPAffinity = backend.clientIPAffinity
        self.endpointSeeds = endpoints.map { Self.fnv1a(Array($0.display.utf8)) }
        self.loopCount = max(loops, 1)
        self.positions = .allocate(capacity: self.loopCount * Self.slotStride)
        self.positions.initialize(repeating: 0, count: self.loopCount * Self.slotStride)
        for loop in 0..<self.loopCount {
            self.positions[loop * Self.slotStride] =
                previous.flatMap { loop < $0.loopCount ? $0.positions[loop * Self.slotStride] : nil } ?? loop
        }
    }

    deinit {
        self.positions.deallocate()
    }

    /// The endpoint a key (a client IP, a URI, a header) is pinned to: rendezvous
    /// (highest-random-weight) hashing, so a key moves only when its own endpoint leaves or is
    /// marked down, never when others do.
    func endpoint(forKey clientHash: UInt64, now: NIODeadline) -> ProxyEndpoint? {
        var best: ProxyEndpoint?
        var bestWeight: UInt64 = 0
        for (index, endpoint) in self.endpoints.enumerated() where !endpoint.isDown(now: now) {
            let weight = Self.mix(clientHash ^ self.endpointSeeds[index])
            if best == nil || weight > bestWeight {
                best = endpoint
                bestWeight = weight
            }
        }
        return best
    }

    /// `load-balance: ewma`: the better of two endpoints drawn at random (skipping ones marked
    /// down), by expected latency times requests in flight.
    func endpointByLoad(random: UInt64, now: NIODeadline) -> ProxyEndpoint? {
        let candidates = self.endpoints.filter { !$0.isDown(now: now) }
        guard !candidates.isEmpty else { return nil }
        let first = candidates[Int(random % UInt64(candidates.count))]
        guard candidates.count > 1 else { return first }
        var second = candidates[Int((random >> 32) % UInt64(candidates.count - 1))]
        if second === first { second = candidates[candidates.count - 1] }
        return first.load.score <= second.load.score ? first : second
    }

    /// The endpoint a cookie value names, if it is still here and not marked down.
    func endpoint(forCookie value: UnsafeRawBufferPointer, now: NIODeadline) -> ProxyEndpoint? {
        self.endpoints.first { $0.cookieValue.elementsEqual(value) && !$0.isDown(now: now) }
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { Self.fnv1a($0) }
    }

    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// splitmix64's finaliser: spreads similar inputs over the whole range.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The round-robin starting point for a new request on event loop `loop` (its index in
    /// the group). Must be called on that loop.
    func nextStart(loop: Int = 0) -> Int {
        let slot = self.positions + (loop % self.loopCount) * Self.slotStride
        let start = slot.pointee
        slot.pointee = start &+ 1
        return start
    }

    /// The endpoint for the `attempt`-th try of a request that started at `start`: the next
    /// one in rotation that is not marked down (or the plain rotation when all are down).
    /// `skipped` counts the endpoints passed over as down (`portico_endpoints_skipped_total`).
    func endpoint(start: Int, attempt: Int, now: NIODeadline, skipped: inout UInt64) -> ProxyEndpoint {
        let count = self.endpoints.count
        var passed = 0
        var index = start &+ attempt
        while passed < count {
            let endpoint = self.endpoints[Int(UInt(bitPattern: index) % UInt(count))]
            if !endpoint.isDown(now: now) {
                skipped &+= UInt64(passed)
                return endpoint
            }
            index &+= 1
            passed += 1
        }
        return self.endpoints[Int(UInt(bitPattern: start &+ attempt) % UInt(count))]
    }
}
