import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// `affinity: cookie` with `session-cookie-name`, `session-cookie-path` and
/// `session-cookie-max-age` (ingress-nginx `annotations/sessionaffinity`).
enum AffinityAnnotations {
    static let affinityKey = "nginx.ingress.kubernetes.io/affinity"
    static let nameKey = "nginx.ingress.kubernetes.io/session-cookie-name"
    static let pathKey = "nginx.ingress.kubernetes.io/session-cookie-path"
    static let maxAgeKey = "nginx.ingress.kubernetes.io/session-cookie-max-age"

    /// `.some(nil)` without cookie affinity; nil when a value is invalid (the Ingress is dropped).
    static func parse(_ ingress: Ingress, object: String, diagnostics: inout [Diagnostic]) -> CookieAffinity?? {
        let annotations = ingress.metadata.annotations
        guard let kind = annotations[Self.affinityKey] else { return .some(nil) }
        func invalid(_ key: String, _ value: String, _ expected: String) -> CookieAffinity?? {
            diagnostics.append(
                Diagnostic(.error, file: ingress.location.file, line: ingress.location.line, object: object,
                           field: "metadata.annotations[\(key)]",
                           message: "\"\(value)\" is not \(expected); ingress-nginx drops such an Ingress, so it is left out"))
            return nil
        }
        guard kind == "cookie" else { return invalid(Self.affinityKey, kind, "cookie") }
        let name = annotations[Self.nameKey] ?? "INGRESSCOOKIE"
        guard !name.isEmpty, name.utf8.allSatisfy({ HostBytes.isLabelByte($0) || $0 == UInt8(ascii: ".") }) else {
            return invalid(Self.nameKey, name, "a cookie name")
        }
        let path = annotations[Self.pathKey] ?? "/"
        guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) else {
            return invalid(Self.pathKey, path, "a path")
        }
        var maxAge: Int?
        if let text = annotations[Self.maxAgeKey] {
            guard let seconds = Int(text), seconds >= 0 else { return invalid(Self.maxAgeKey, text, "a number of seconds") }
            maxAge = seconds
        }
        return .some(CookieAffinity(name: name, path: path, maxAge: maxAge))
    }
}
