import Foundation
import PorticoRouting

/// `allowlist-source-range` (and its older name `whitelist-source-range`): only clients inside
/// these CIDR blocks reach the Ingress's paths; others get 403 (ingress-nginx
/// `annotations/ipallowlist`, nginx `allow …; deny all;`). An invalid list fails closed: the
/// parser returns a `LocationDeniedError`, and the template answers such locations 503.
enum AccessAnnotations: AnnotationGroup {
    static let names = ["allowlist-source-range", "whitelist-source-range"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let name = Self.names.first(where: { reader.value($0) != nil }), let text = reader.value(name) else { return }
        var ranges: [SourceRange] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let range = SourceRange.parse(item) else {
                reader.deny(name, item, expected: "an IP address or CIDR block")
                annotations.policy.deniedReason = "invalid \(name)"
                annotations.policy.allowedSources = []
                return
            }
            ranges.append(range)
        }
        annotations.policy.allowedSources = ranges
    }
}
