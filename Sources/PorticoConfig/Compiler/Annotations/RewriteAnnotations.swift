import PorticoRouting

/// The rewrite group (ingress-nginx `internal/ingress/annotations/rewrite/main.go`):
/// `use-regex`, `rewrite-target`, `app-root`, plus `x-forwarded-prefix`
/// (`annotations/xforwardedprefix`). The redirect flags of the same Go package are
/// `RedirectAnnotations`.
enum RewriteAnnotations: AnnotationGroup {
    static let names = ["use-regex", "rewrite-target", "app-root", "x-forwarded-prefix"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        // An invalid `use-regex` is "defaulting to 'false'".
        annotations.useRegex = reader.bool("use-regex", default: false)
        if let value = reader.value("rewrite-target") {
            // Its validator (`RegexPathWithCapture`) refusing the value is "defaulting to empty".
            if !AnnotationReader.Characters.isPathWithCapture(value) {
                reader.fallBack("rewrite-target", value, expected: "a path with $n captures ([-._~/:$a-zA-Z0-9])", to: "no rewrite")
            } else {
                switch RewriteTemplate.parse(value) {
                case .success(let template): annotations.rewriteTarget = template
                case .failure(let error): reader.warn("rewrite-target", "\(error); no rewrite is applied")
                }
            }
        }
        if let value = reader.value("app-root") {
            // Refused by the validator, unparsable, or an absolute URL: ingress-nginx ignores
            // app-root (`config.AppRoot = ""`) and serves the Ingress.
            if value.hasPrefix("/"), !value.contains("://"), AnnotationReader.Characters.isPathWithCapture(value) {
                annotations.appRoot = value
            } else {
                reader.fallBack("app-root", value, expected: "a path starting with '/' (not a URL)", to: "no app-root redirect")
            }
        }
        if let value = reader.value("x-forwarded-prefix") {
            // `xforwardedprefix` returns its validator's error: the Ingress is dropped.
            let compact = value.filter { $0 != " " }
            guard AnnotationReader.Characters.isPathWithCapture(compact) else {
                reader.drop("x-forwarded-prefix", value, expected: "a path ([-._~/:$a-zA-Z0-9])")
                return
            }
            annotations.policy.forwardedPrefix = value
        }
    }
}
