import PorticoDiagnostics
import PorticoKube

/// `proxy-body-size` (ingress-nginx `annotations/proxy`): the largest request body a path
/// accepts, 413 above it; `"0"` means unlimited; the default is 1 MiB (`client_max_body_size 1m`).
struct ProxyAnnotations {
    /// nil: unlimited.
    var maxBodySize: Int?

    static let bodySizeKey = "nginx.ingress.kubernetes.io/proxy-body-size"
    static let defaultBodySize = 1024 * 1024

    /// Nil when the value is not an nginx size: ingress-nginx drops such an Ingress.
    static func parse(_ ingress: Ingress, object: String, diagnostics: inout [Diagnostic]) -> ProxyAnnotations? {
        guard let text = ingress.metadata.annotations[Self.bodySizeKey] else {
            return ProxyAnnotations(maxBodySize: Self.defaultBodySize)
        }
        guard let size = Self.parseSize(text) else {
            diagnostics.append(
                Diagnostic(.error, file: ingress.location.file, line: ingress.location.line, object: object,
                           field: "metadata.annotations[\(Self.bodySizeKey)]",
                           message: "\"\(text)\" is not a size like 8k, 1m or 0; ingress-nginx drops such an Ingress, so it is left out"))
            return nil
        }
        return ProxyAnnotations(maxBodySize: size == 0 ? nil : size)
    }

    /// nginx sizes: a number with an optional k, m or g (either case).
    static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var multiplier = 1
        switch digits.last {
        case "k", "K": multiplier = 1024
        case "m", "M": multiplier = 1024 * 1024
        case "g", "G": multiplier = 1024 * 1024 * 1024
        default: break
        }
        if multiplier > 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int(digits), value >= 0,
            value <= Int.max / multiplier
        else { return nil }
        return value * multiplier
    }
}
