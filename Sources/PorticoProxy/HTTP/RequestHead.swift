import PorticoRouting

/// One header field's position inside the head bytes, as 32-bit offsets (a head is bounded by
/// `large-client-header-buffers`, far below 4 GiB): 20 bytes a field instead of 40, and a
/// connection keeps its fields array's capacity while idle.
struct HeaderField {
    private let offsets: (lineStart: UInt32, nameEnd: UInt32, valueStart: UInt32, valueEnd: UInt32)
    let kind: HeaderKind

    init(lineStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int, kind: HeaderKind) {
        self.offsets = (UInt32(lineStart), UInt32(nameEnd), UInt32(valueStart), UInt32(valueEnd))
        self.kind = kind
    }

    var lineStart: Int { Int(self.offsets.lineStart) }
    var nameEnd: Int { Int(self.offsets.nameEnd) }
    var valueStart: Int { Int(self.offsets.valueStart) }
    var valueEnd: Int { Int(self.offsets.valueEnd) }
}

/// An optional range of head bytes stored in 8 bytes instead of a `Range<Int>?`'s 24 (with
/// padding): the request head keeps ten of them, and lives in its connection while idle.
/// Offsets convert with a trapping `UInt32(_:)`: a head is bounded by
/// `large-client-header-buffers`, so an offset past 4 GiB is a broken invariant, not input.
@propertyWrapper
struct HeadRange {
    private var lower = UInt32.max
    private var upper = UInt32.max

    init() {}

    var wrappedValue: Range<Int>? {
        get { self.lower == .max ? nil : Int(self.lower)..<Int(self.upper) }
        set {
            guard let range = newValue else {
                self.lower = .max
                self.upper = .max
                return
            }
            self.lower = UInt32(range.lowerBound)
            self.upper = UInt32(range.upperBound)
        }
    }
}

/// How a message body is delimited (RFC 9112 §6).
enum BodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
    /// Responses only: the body ends when the upstream closes.
    case untilClose
}

/// A parsed request head: positions into the head bytes plus the facts routing and framing need.
///
/// The head is not copied into a header dictionary; fields are forwarded from the original bytes.
/// One value lives per connection and is reset per request, so its `fields` array keeps its
/// capacity and parsing allocates nothing.
struct RequestHead {
    var methodEnd = 0
    var targetStart = 0
    var targetEnd = 0
    /// Where the path ends inside the target (at `?` or the target's end).
    var pathEnd = 0
    var isHTTP11 = true
    var method: Method = .other
    var fields: [HeaderField] = []
    @HeadRange var hostValue: Range<Int>?
    /// For absolute-form targets (`GET http://host/path`), the authority; it replaces Host
    /// (RFC 9112 §3.2.2).
    @HeadRange var authority: Range<Int>?
    var framing: BodyFraming = .none
    var connectionClose = false
    var connectionKeepAlive = false
    var connectionUpgrade = false
    /// The Connection value, when it names other fields to drop.
    @HeadRange var connectionValue: Range<Int>?
    var connectionHasExtraTokens = false
    @HeadRange var upgradeValue: Range<Int>?
    @HeadRange var forwardedFor: Range<Int>?
    @HeadRange var requestID: Range<Int>?
    /// The first `traceparent` value, for tracing.
    @HeadRange var traceparent: Range<Int>?
    /// The first Cookie field's value, for cookie affinity.
    @HeadRange var cookie: Range<Int>?
    /// The first Origin field's value, for CORS.
    @HeadRange var origin: Range<Int>?
    /// The first Authorization field's value, for basic authentication.
    @HeadRange var authorization: Range<Int>?
    /// `Expect: 100-continue`: the proxy answers `100 Continue` itself when it is ready for the
    /// body, and does not forward the field (nginx's proxy module clears `Expect` too).
    var expectContinue = false
    /// The length of the head including the final CRLF.
    var headLength = 0

    enum Method: Equatable {
        case get, head, post, put, delete, options, patch, other

        /// RFC 9110 §9.2.2: retrying these after the request was sent is safe.
        var isIdempotent: Bool {
            switch self {
            case .get, .head, .put, .delete, .options: true
            case .post, .patch, .other: false
            }
        }

        /// The method's name; `other` for the ones the proxy does not tell apart (the metrics
        /// say `OTHER`, OpenTelemetry `_OTHER`).
        func name(other: String) -> String {
            switch self {
            case .get: "GET"
            case .head: "HEAD"
            case .post: "POST"
            case .put: "PUT"
            case .delete: "DELETE"
            case .options: "OPTIONS"
            case .patch: "PATCH"
            case .other: other
            }
        }
    }

    mutating func reset() {
        self.fields.removeAll(keepingCapacity: true)
        self.hostValue = nil
        self.authority = nil
        self.framing = .none
        self.connectionClose = false
        self.connectionKeepAlive = false
        self.connectionUpgrade = false
        self.connectionValue = nil
        self.connectionHasExtraTokens = false
        self.upgradeValue = nil
        self.forwardedFor = nil
        self.requestID = nil
        self.traceparent = nil
        self.cookie = nil
        self.origin = nil
        self.authorization = nil
        self.expectContinue = false
        self.method = .other
        self.headLength = 0
    }

    /// The value range of the first field named `name` (given lower-case) in `bytes`, the head
    /// these fields index.
    static func valueRange(of name: [UInt8], in fields: UnsafeBufferPointer<HeaderField>, bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        for field in fields
        where field.nameEnd - field.lineStart == name.count && name.elementsEqual(bytes[field.lineStart..<field.nameEnd].lazy.map(HostBytes.lower)) {
            return field.valueStart..<field.valueEnd
        }
        return nil
    }

    /// Whether the client expects the connection to stay open after this exchange.
    var wantsKeepAlive: Bool {
        self.isHTTP11 ? !self.connectionClose : self.connectionKeepAlive && !self.connectionClose
    }
}
