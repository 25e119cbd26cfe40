import PorticoRouting

/// One header field's position inside the head bytes, as 32-bit offsets (a head is bounded by
/// `large-client-header-buffers`, far below 4 GiB): 20 bytes a field instead of 40, and a
/// connection keeps its fields array's capacity while idle.
struct HeaderField {
    private let offsets: (lineStart: UInt32, nameEnd: UInt32, valueStart: UInt32, valueEnd: UInt32)
    let kind: HeaderKind

    init(lineStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int, kind: HeaderKind) {
        self.offsets = (
            UInt32(truncatingIfNeeded: lineStart), UInt32(truncatingIfNeeded: nameEnd), UInt32(truncatingIfNeeded: valueStart),
            UInt32(truncatingIfNeeded: valueEnd)
        )
        self.kind = kind
    }

    var lineStart: Int { Int(self.offsets.lineStart) }
    var nameEnd: Int { Int(self.offsets.nameEnd) }
    var valueStart: Int { Int(self.offsets.valueStart) }
    var valueEnd: Int { Int(self.offsets.valueEnd) }
}

/// An optional range of head bytes in 8 bytes instead of a `Range<Int>?`'s 24 (with padding):
/// the request head keeps ten of them, and lives in its connection while idle.
struct HeadRange {
    private var lower: UInt32
    private var upper: UInt32

    static let none = HeadRange(lower: .max, upper: .max)

    private init(lower: UInt32, upper: UInt32) {
        self.lower = lower
        self.upper = upper
    }

    init(_ range: Range<Int>?) {
        guard let range else {
            self = .none
            return
        }
        self.init(lower: UInt32(truncatingIfNeeded: range.lowerBound), upper: UInt32(truncatingIfNeeded: range.upperBound))
    }

    var range: Range<Int>? { self.lower == .max ? nil : Int(self.lower)..<Int(self.upper) }
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
    var hostValue: Range<Int>? {
        get { self._hostValue.range }
        set { self._hostValue = HeadRange(newValue) }
    }
    private var _hostValue = HeadRange.none
    /// For absolute-form targets (`GET http://host/path`), the authority; it replaces Host
    /// (RFC 9112 §3.2.2).
    var authority: Range<Int>? {
        get { self._authority.range }
        set { self._authority = HeadRange(newValue) }
    }
    private var _authority = HeadRange.none
    var framing: BodyFraming = .none
    var connectionClose = false
    var connectionKeepAlive = false
    var connectionUpgrade = false
    /// The Connection value, when it names other fields to drop.
    var connectionValue: Range<Int>? {
        get { self._connectionValue.range }
        set { self._connectionValue = HeadRange(newValue) }
    }
    private var _connectionValue = HeadRange.none
    var connectionHasExtraTokens = false
    var upgradeValue: Range<Int>? {
        get { self._upgradeValue.range }
        set { self._upgradeValue = HeadRange(newValue) }
    }
    private var _upgradeValue = HeadRange.none
    var forwardedFor: Range<Int>? {
        get { self._forwardedFor.range }
        set { self._forwardedFor = HeadRange(newValue) }
    }
    private var _forwardedFor = HeadRange.none
    var requestID: Range<Int>? {
        get { self._requestID.range }
        set { self._requestID = HeadRange(newValue) }
    }
    private var _requestID = HeadRange.none
    /// The first `traceparent` value, for tracing.
    var traceparent: Range<Int>? {
        get { self._traceparent.range }
        set { self._traceparent = HeadRange(newValue) }
    }
    private var _traceparent = HeadRange.none
    /// The first Cookie field's value, for cookie affinity.
    var cookie: Range<Int>? {
        get { self._cookie.range }
        set { self._cookie = HeadRange(newValue) }
    }
    private var _cookie = HeadRange.none
    /// The first Origin field's value, for CORS.
    var origin: Range<Int>? {
        get { self._origin.range }
        set { self._origin = HeadRange(newValue) }
    }
    private var _origin = HeadRange.none
    /// The first Authorization field's value, for basic authentication.
    var authorization: Range<Int>? {
        get { self._authorization.range }
        set { self._authorization = HeadRange(newValue) }
    }
    private var _authorization = HeadRange.none
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
