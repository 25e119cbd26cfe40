import Foundation
import PorticoRouting

/// `limit-rps`, `limit-rpm`, `limit-connections`, `limit-burst-multiplier`, `limit-allowlist`/`limit-whitelist`
/// (ingress-nginx `annotations/ratelimit/main.go`): a limit that is not a number is a
/// validation error there (the Ingress is dropped), a bad multiplier falls back to 5, an
/// invalid CIDR list is a plain error and the whole limit is ignored.
enum RateLimitAnnotations: AnnotationGroup {
    static let names = ["limit-rps", "limit-rpm", "limit-connections", "limit-burst-multiplier", "limit-allowlist", "limit-whitelist"]
    static let defaultBurstMultiplier = 5

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        var limits: [String: Int] = [:]
        for name in ["limit-rps", "limit-rpm", "limit-connections"] {
            guard let text = reader.value(name) else { continue }
            guard let value = Int(text), value >= 0 else {
                reader.drop(name, text, expected: "a whole number of requests")
                return
            }
            limits[name] = value
        }
        guard limits.values.contains(where: { $0 > 0 }) else { return }
        var multiplier = Self.defaultBurstMultiplier
        if let text = reader.value("limit-burst-multiplier") {
            if let value = Int(text), value >= 0 { multiplier = value }
            else { reader.fallBack("limit-burst-multiplier", text, expected: "a whole number", to: "\(multiplier)") }
        }
        var allowlist: [SourceRange] = []
        if let (name, text) = reader.firstValue(of: ["limit-allowlist", "limit-whitelist"]) {
            switch AnnotationReader.sourceRanges(text) {
            case .success(let ranges): allowlist = ranges
            case .failure(let invalid):
                reader.warn(name, "\"\(invalid.text)\" is not an IP address or CIDR block; ingress-nginx then ignores the rate limits of this Ingress, and so does Portico")
                return
            }
        }
        let zone = "\(reader.ingress.metadata.namespace)/\(reader.ingress.metadata.name)".utf8.reduce(UInt64(14_695_981_039_346_656_037)) {
            ($0 ^ UInt64($1)) &* 1_099_511_628_211
        }
        annotations.policy.rateLimit = RateLimitPolicy(
            zone: zone, perSecond: limits["limit-rps"].flatMap { $0 > 0 ? $0 : nil },
            perMinute: limits["limit-rpm"].flatMap { $0 > 0 ? $0 : nil }, connections: limits["limit-connections"].flatMap { $0 > 0 ? $0 : nil },
            burstMultiplier: multiplier, allowlist: allowlist)
    }
}
