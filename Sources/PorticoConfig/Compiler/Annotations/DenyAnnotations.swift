import Foundation
import PorticoRouting

/// `denylist-source-range` (ingress-nginx `annotations/ipdenylist`, nginx `deny …;` before the
/// allow-list): clients inside these CIDR blocks get 403; an invalid list fails closed like the
/// allow-list's (a `LocationDeniedError`: the paths answer 503). And `satisfy`
/// (`annotations/satisfy`): `any` lets one passing access check suffice.
enum DenyAnnotations: AnnotationGroup {
    static let names = ["denylist-source-range", "satisfy"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        // `satisfy` (annotations/satisfy): `any` or `all`, anything else is nginx's default, all.
        annotations.policy.satisfyAny = reader.value("satisfy") == "any"
        guard let text = reader.value("denylist-source-range") else { return }
        annotations.policy.deniedSources = reader.locationSourceRanges("denylist-source-range", text, into: &annotations.policy) ?? []
    }
}
