import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// `allowlist-source-range` (and its older name `whitelist-source-range`): only clients inside
/// these CIDR blocks reach the Ingress's paths; others get 403 (ingress-nginx
/// `annotations/ipallowlist`, nginx `allow …; deny all;`).
struct AccessAnnotations {
    /// nil: everyone.
    var allowedSources: [SourceRange]?

    static let keys = ["nginx.ingress.kubernetes.io/allowlist-source-range", "nginx.ingress.kubernetes.io/whitelist-source-range"]

    /// Nil when a block is not valid CIDR: ingress-nginx drops such an Ingress.
    static func parse(_ ingress: Ingress, object: String, diagnostics: inout [Diagnostic]) -> AccessAnnotations? {
        guard let key = Self.keys.first(where: { ingress.metadata.annotations[$0] != nil }),
            let text = ingress.metadata.annotations[key]
        else { return AccessAnnotations() }
        var ranges: [SourceRange] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let range = SourceRange.parse(item) else {
                diagnostics.append(
                    Diagnostic(.error, file: ingress.location.file, line: ingress.location.line, object: object,
                               field: "metadata.annotations[\(key)]",
                               message: "\"\(item)\" is not an IP address or CIDR block; ingress-nginx drops such an Ingress, so it is left out"))
                return nil
            }
            ranges.append(range)
        }
        return AccessAnnotations(allowedSources: ranges)
    }
}
