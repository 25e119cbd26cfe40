import PorticoRegex

/// `canary`, `canary-by-header` (+ `-value`, `-pattern`), `canary-by-cookie`, `canary-weight`
/// (+ `-total`) (ingress-nginx `annotations/canary/main.go`). Every invalid value warns and
/// uses its default; canary settings without `canary: "true"` are "configured but not
/// enabled": ingress-nginx ignores them and serves the Ingress as a main one.
enum CanaryAnnotations: AnnotationGroup {
    static let names = [
        "canary", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie", "canary-weight",
        "canary-weight-total",
    ]

    /// What a canary Ingress asks, before the compiler knows which backend it joins.
    struct Settings {
        var header: String?
        var headerValue: String?
        var headerPattern: CompiledRegex?
        var cookie: String?
        var weight = 0
        var weightTotal = 100
    }

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        let enabled = reader.bool("canary", default: false)
        var settings = Settings()
        func name(_ annotation: String) -> String? {
            guard let text = reader.value(annotation) else { return nil }
            // BasicCharsRegex: letters, digits, -._~/:
            guard text.utf8.allSatisfy({ AnnotationReader.Characters.isAlphaNumeric($0) }) else {
                reader.fallBack(annotation, text, expected: "letters, digits and -._~/:", to: "none")
                return nil
            }
            return text
        }
        func number(_ annotation: String, default fallback: Int) -> Int {
            guard let text = reader.value(annotation) else { return fallback }
            guard let value = Int(text) else {
                reader.fallBack(annotation, text, expected: "a whole number", to: "\(fallback)")
                return fallback
            }
            return value
        }
        settings.header = name("canary-by-header")
        settings.headerValue = name("canary-by-header-value")
        settings.cookie = name("canary-by-cookie")
        settings.weight = number("canary-weight", default: 0)
        settings.weightTotal = number("canary-weight-total", default: 100)
        if let pattern = reader.value("canary-by-header-pattern") {
            do {
                settings.headerPattern = try CompiledRegex(pattern)
            } catch {
                reader.warn("canary-by-header-pattern", "\(error); ingress-nginx's match fails at each request and keeps it on the main backend, Portico ignores the pattern", differs: true)
            }
        }
        let configured = settings.weight > 0 || settings.header != nil || settings.headerValue != nil || settings.cookie != nil
            || settings.headerPattern != nil
        guard enabled else {
            if configured {
                reader.warn("canary", "canary settings without canary: \"true\" are ignored by ingress-nginx (\"configured but not enabled\"); this Ingress is served as a main one")
            }
            return
        }
        annotations.canary = settings
    }
}
