import PorticoRegex

/// A canary Ingress (`canary: "true"`) attached to the main backend of the routes it shares a
/// host and path with (ingress-nginx `mergeAlternativeBackends`: the canary is an alternative
/// of the primary *upstream*, so every route to that Service follows it). Which requests go to
/// the canary is ingress-nginx's `route_to_alternative_balancer` (balancer.lua), in order:
///
/// 1. a request whose affinity cookie names an endpoint of the main backend stays there, one
///    naming a canary endpoint goes to the canary;
/// 2. `canary-by-header`: with `-value`, that exact value goes to the canary; with `-pattern`,
///    a PCRE match does; otherwise `always` goes and `never` stays; any other value falls
///    through;
/// 3. `canary-by-cookie`: `always` goes, `never` stays, anything else falls through;
/// 4. `canary-weight` out of `canary-weight-total` (at least 100).
///
/// A canary without ready endpoints is never chosen.
public struct CanaryPolicy: Hashable, Sendable {
    public let backend: BackendID
    /// `namespace/name` of the canary Ingress.
    public let ingress: String
    /// `canary-by-header`, lower-cased.
    public let header: [UInt8]?
    public let headerValue: [UInt8]?
    public let headerPattern: CompiledRegex?
    /// `canary-by-cookie`.
    public let cookie: [UInt8]?
    public let weight: Int
    public let weightTotal: Int
    /// The canary's upstream as ingress-nginx names it (`namespace-service-port`): the
    /// `canary` label of the request metrics and the access log's alternative upstream.
    public let upstreamName: String

    public init(
        backend: BackendID, ingress: String, header: String?, headerValue: String?, headerPattern: CompiledRegex?, cookie: String?,
        weight: Int, weightTotal: Int, upstreamName: String = ""
    ) {
        self.backend = backend
        self.upstreamName = upstreamName
        self.ingress = ingress
        self.header = header.map { Array($0.lowercased().utf8) }
        self.headerValue = headerValue.map { Array($0.utf8) }
        self.headerPattern = headerPattern
        self.cookie = cookie.map { Array($0.utf8) }
        self.weight = weight
        self.weightTotal = max(weightTotal, 100)
    }

    /// Steps 2 and 3: true or false when the header or cookie decides, nil to go on by weight.
    /// - Parameters:
    ///   - headerValue: the request's `canary-by-header` field, if sent.
    ///   - cookieValue: the request's `canary-by-cookie` cookie, if sent.
    public func decide(headerValue: UnsafeRawBufferPointer?, cookieValue: UnsafeRawBufferPointer?, scratch: RegexMatchData) -> Bool? {
        if let value = headerValue {
            if let expected = self.headerValue, !expected.isEmpty {
                if value.elementsEqual(expected) { return true }
            } else if let pattern = self.headerPattern {
                switch pattern.matches(value, using: scratch) {
                case .match: return true
                case .limitExceeded: return false  // balancer.lua: a match error stays on the main backend
                case .noMatch: break
                }
            } else if Self.equals(value, "always") {
                return true
            } else if Self.equals(value, "never") {
                return false
            }
        }
        if let value = cookieValue {
            if Self.equals(value, "always") { return true }
            if Self.equals(value, "never") { return false }
        }
        return nil
    }

    /// Step 4, with `roll` uniform in `1...weightTotal` (Lua's `math.random(weightTotal)`).
    public func chosenByWeight(roll: Int) -> Bool { roll <= self.weight }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && bytes.elementsEqual(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.backend == rhs.backend && lhs.ingress == rhs.ingress && lhs.header == rhs.header && lhs.headerValue == rhs.headerValue
            && lhs.headerPattern?.pattern == rhs.headerPattern?.pattern && lhs.cookie == rhs.cookie && lhs.weight == rhs.weight
            && lhs.weightTotal == rhs.weightTotal
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.backend)
        hasher.combine(self.ingress)
        hasher.combine(self.weight)
    }
}
