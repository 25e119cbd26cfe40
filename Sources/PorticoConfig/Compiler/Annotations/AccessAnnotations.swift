import Foundation
import PorticoRouting

/// `allowlist-source-range` (and its older name `whitelist-source-range`): only clients inside
/// these CIDR blocks reach the Ingress's paths; others get 403 (ingress-nginx
/// `annotations/ipallowlist`, nginx `allow …; deny all;`). An invalid list fails closed: the
/// parser returns a `LocationDeniedError`, and the template answers such locations 503.
enum AccessAnnotations: AnnotationGroup {
    static let names = ["allowlist-source-range", "whitelist-source-range"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let (name, text) = reader.firstValue(of: Self.names) else { return }
        // An invalid list admits nobody (and the location is denied, 503).
        annotations.policy.allowedSources = reader.locationSourceRanges(name, text, into: &annotations.policy) ?? []
    }
}
