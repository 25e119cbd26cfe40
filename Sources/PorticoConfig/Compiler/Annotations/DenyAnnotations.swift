import Foundation
import PorticoRouting

/// `denylist-source-range` (ingress-nginx `annotations/ipdenylist`, nginx `deny …;` before the
/// allow-list): clients inside these CIDR blocks get 403. An invalid list fails closed like the
/// allow-list's: a `LocationDeniedError`, the paths answer 503.
enum DenyAnnotations: AnnotationGroup {
    static let names = ["denylist-source-range"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let text = reader.value("denylist-source-range") else { return }
        var ranges: [SourceRange] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let range = SourceRange.parse(item) else {
                reader.deny("denylist-source-range", item, expected: "an IP address or CIDR block")
                annotations.policy.deniedReason = "invalid denylist-source-range"
                return
            }
            ranges.append(range)
        }
        annotations.policy.deniedSources = ranges
    }
}
