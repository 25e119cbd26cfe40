import PorticoRegex

/// What a request must also have, besides its host and path, for a route to take it: the
/// Gateway API's `HTTPRouteMatch` method, headers and query parameters (all of them, ANDed), and
/// the kind of listener the route is attached to (a route of an `HTTPS` listener does not answer
/// plain HTTP). Ingress routes have none.
public struct RouteConditions: Hashable, Sendable {
    /// Which of Portico's listeners the route is attached to.
    public enum Listener: Hashable, Sendable {
        case plain
        case tls
    }

    /// A header or query-parameter condition: the name (lower-cased for headers, which match
    /// case-insensitively; as written for query parameters) and the value.
    public struct Value: Hashable, Sendable {
        public enum Match: Hashable, Sendable {
            case exact([UInt8])
            /// A full match of the value (Envoy's `safe_regex`, as Gateway implementations use).
            case regex(CompiledRegex)

            public static func == (lhs: Match, rhs: Match) -> Bool {
                switch (lhs, rhs) {
                case (.exact(let l), .exact(let r)): l == r
                case (.regex(let l), .regex(let r)): l.pattern == r.pattern
                default: false
                }
            }

            public func hash(into hasher: inout Hasher) {
                switch self {
                case .exact(let bytes): hasher.combine(bytes)
                case .regex(let regex): hasher.combine(regex.pattern)
                }
            }
        }

        public let name: [UInt8]
        public let match: Match

        public init(name: [UInt8], match: Match) {
            self.name = name
            self.match = match
        }

        @inlinable
        func accepts(_ value: UnsafeRawBufferPointer, scratch: RegexMatchData) -> Bool {
            switch self.match {
            case .exact(let expected): expected.withUnsafeBytes { $0.elementsEqual(value) }
            case .regex(let regex): regex.matches(value, using: scratch) == .match
            }
        }
    }

    public let listener: Listener
    /// The method, upper-case, or nil for any.
    public let method: [UInt8]?
    public let headers: [Value]
    public let query: [Value]

    public init(listener: Listener, method: String? = nil, headers: [Value] = [], query: [Value] = []) {
        self.listener = listener
        self.method = method.map { Array($0.utf8) }
        self.headers = headers
        self.query = query
    }

    /// The Gateway API's precedence among routes of equal path: a method match first, then
    /// more header matches, then more query matches (`HTTPRouteRule.matches`).
    public var precedence: (Int, Int, Int) { (self.method == nil ? 0 : 1, self.headers.count, self.query.count) }

    /// Whether `request` meets every condition. Regex conditions use `scratch`, after the path's
    /// own match (routes with conditions take no path captures).
    @inlinable
    public func accept<Request: RouteRequest>(_ request: Request, scratch: RegexMatchData) -> Bool {
        guard (self.listener == .tls) == request.isTLS else { return false }
        if let method = self.method, !method.withUnsafeBytes({ $0.elementsEqual(request.method) }) { return false }
        for header in self.headers {
            guard let value = request.headerValue(lowercasedName: header.name), header.accepts(value, scratch: scratch) else { return false }
        }
        for parameter in self.query {
            guard let value = Self.queryValue(parameter.name, in: request.query), parameter.accepts(value, scratch: scratch) else {
                return false
            }
        }
        return true
    }

    /// The value of the first `name=` parameter of `query` (its leading `?` included or not).
    /// Names match as written (the Gateway API compares query parameter names exactly); a
    /// parameter without `=` has the empty value.
    @inlinable
    static func queryValue(_ name: [UInt8], in query: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var start = query.first == UInt8(ascii: "?") ? 1 : 0
        while start <= query.count {
            var end = start
            while end < query.count, query[end] != UInt8(ascii: "&") { end += 1 }
            var equals = start
            while equals < end, query[equals] != UInt8(ascii: "=") { equals += 1 }
            if equals - start == name.count, name.withUnsafeBytes({ $0.elementsEqual(query[start..<equals]) }) {
                return UnsafeRawBufferPointer(rebasing: query[min(equals + 1, end)..<end])
            }
            start = end + 1
        }
        return nil
    }
}

/// The parts of a request route conditions read, as the data plane and the offline tools each
/// hold them (the parsed head's bytes, a `METHOD URL` case).
public protocol RouteRequest {
    var isTLS: Bool { get }
    var method: UnsafeRawBufferPointer { get }
    /// The query, its `?` included, or empty.
    var query: UnsafeRawBufferPointer { get }
    /// The value of the first field of this name (given lower-case), if the request has one.
    func headerValue(lowercasedName: [UInt8]) -> UnsafeRawBufferPointer?
}

/// A request known only by its host, path and scheme: routes with method, header or query
/// conditions never take it.
public struct PathOnlyRequest: RouteRequest {
    public let isTLS: Bool
    public let query: UnsafeRawBufferPointer

    @inlinable
    public init(isTLS: Bool, query: UnsafeRawBufferPointer) {
        self.isTLS = isTLS
        self.query = query
    }

    public var method: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
    public func headerValue(lowercasedName: [UInt8]) -> UnsafeRawBufferPointer? { nil }
}
