import Foundation

/// `server-alias` (ingress-nginx `annotations/alias/main.go`): more names for the hosts of the
/// Ingress's rules, each serving the same routes. A comma-separated list, trimmed, duplicates
/// removed; the compiler keeps the first Ingress's aliases per host and skips an alias that is
/// itself a rule host (controller.go `createServers`).
enum AliasAnnotations: AnnotationGroup {
    static let names = ["server-alias"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let text = reader.value("server-alias") else { return }
        var seen = Set<String>()
        for alias in AnnotationReader.items(text) {
            guard seen.insert(alias).inserted else { continue }
            annotations.aliases.append(alias)
        }
        annotations.aliases.sort()
    }
}
