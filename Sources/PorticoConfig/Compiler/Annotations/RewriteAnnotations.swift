import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// The rewrite group of `nginx.ingress.kubernetes.io/*` annotations (ingress-nginx
/// `internal/ingress/annotations/rewrite`): `use-regex`, `rewrite-target`, `app-root`, plus
/// `x-forwarded-prefix`.
struct RewriteAnnotations {
    var useRegex = false
    var rewriteTarget: RewriteTemplate?
    var appRoot: String?
    var forwardedPrefix: String?

    static let useRegexKey = "nginx.ingress.kubernetes.io/use-regex"
    static let rewriteTargetKey = "nginx.ingress.kubernetes.io/rewrite-target"
    static let appRootKey = "nginx.ingress.kubernetes.io/app-root"
    static let forwardedPrefixKey = "nginx.ingress.kubernetes.io/x-forwarded-prefix"

    /// Parses the annotations. Returns nil when a value is invalid in a way that makes
    /// ingress-nginx drop the whole Ingress (a bad `use-regex` or `app-root`); the reason is
    /// added to `diagnostics`.
    static func parse(_ ingress: Ingress, object: String, diagnostics: inout [Diagnostic]) -> RewriteAnnotations? {
        let annotations = ingress.metadata.annotations
        var result = RewriteAnnotations()
        func report(_ severity: Diagnostic.Severity, _ key: String, _ message: String) {
            diagnostics.append(
                Diagnostic(severity, file: ingress.location.file, line: ingress.location.line, object: object,
                           field: "metadata.annotations[\(key)]", message: message))
        }
        if let value = annotations[Self.useRegexKey] {
            guard let flag = AnnotationBool.parse(value) else {
                diagnostics.append(AnnotationBool.invalid(ingress, object: object, key: Self.useRegexKey, value: value))
                return nil
            }
            result.useRegex = flag
        }
        if let value = annotations[Self.rewriteTargetKey], !value.isEmpty {
            switch RewriteTemplate.parse(value) {
            case .success(let template): result.rewriteTarget = template
            case .failure(let error): report(.warning, Self.rewriteTargetKey, "\(error); no rewrite is applied")
            }
        }
        if let value = annotations[Self.appRootKey], !value.isEmpty {
            guard value.hasPrefix("/"), !value.contains("://"), value.allSatisfy({ !$0.isWhitespace }) else {
                report(.error, Self.appRootKey, "\"\(value)\" must be a path starting with '/', not a URL; ingress-nginx drops such an Ingress, so it is left out")
                return nil
            }
            result.appRoot = value
        }
        if let value = annotations[Self.forwardedPrefixKey], !value.isEmpty {
            guard value.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "\r" }) else {
                report(.warning, Self.forwardedPrefixKey, "must be printable ASCII; ignored")
                return result
            }
            result.forwardedPrefix = value
        }
        return result
    }

    /// ingress-nginx's `needsRewrite`: a target that differs from the path.
    func rewrite(for path: String) -> RewriteTemplate? {
        guard let target = self.rewriteTarget, target.text != path else { return nil }
        return target
    }

    /// Whether this Ingress puts its hosts in regex mode (template.go `enforceRegexModifier`).
    func forcesRegex(paths: [String]) -> Bool {
        self.useRegex || paths.contains { self.rewrite(for: $0) != nil }
    }
}
