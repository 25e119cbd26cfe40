import PorticoDiagnostics
import PorticoKube

/// `ssl-redirect` (default true) and `force-ssl-redirect` (default false), applied to every path
/// of the Ingress that sets them (ingress-nginx `annotations/sslredirect`).
struct RedirectAnnotations {
    var sslRedirect = true
    var forceSSLRedirect = false

    static let sslRedirectKey = "nginx.ingress.kubernetes.io/ssl-redirect"
    static let forceSSLRedirectKey = "nginx.ingress.kubernetes.io/force-ssl-redirect"

    /// Nil when a value is not a boolean: ingress-nginx drops such an Ingress.
    static func parse(_ ingress: Ingress, object: String, diagnostics: inout [Diagnostic]) -> RedirectAnnotations? {
        var result = RedirectAnnotations()
        for (key, apply) in [
            (Self.sslRedirectKey, { (value: Bool, result: inout RedirectAnnotations) in result.sslRedirect = value }),
            (Self.forceSSLRedirectKey, { (value: Bool, result: inout RedirectAnnotations) in result.forceSSLRedirect = value }),
        ] {
            guard let text = ingress.metadata.annotations[key] else { continue }
            guard let value = AnnotationBool.parse(text) else {
                diagnostics.append(AnnotationBool.invalid(ingress, object: object, key: key, value: text))
                return nil
            }
            apply(value, &result)
        }
        return result
    }
}

/// Boolean annotation values as ingress-nginx reads them (Go's `strconv.ParseBool`).
enum AnnotationBool {
    static func parse(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "t", "T", "1": true
        case "false", "False", "FALSE", "f", "F", "0": false
        default: nil
        }
    }

    static func invalid(_ ingress: Ingress, object: String, key: String, value: String) -> Diagnostic {
        Diagnostic(
            .error, file: ingress.location.file, line: ingress.location.line, object: object,
            field: "metadata.annotations[\(key)]",
            message: "\"\(value)\" is not true or false; ingress-nginx drops such an Ingress, so it is left out")
    }
}
