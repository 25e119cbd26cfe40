import PorticoRouting

/// The redirects an Ingress asks for.
///
/// - `ssl-redirect` (default true), `force-ssl-redirect` (default false) and
///   `preserve-trailing-slash` (default false), applied to every path of the Ingress that sets
///   them (ingress-nginx `annotations/rewrite/main.go`: an invalid value is "defaulting to" the
///   default, never a dropped Ingress).
/// - `temporal-redirect` (+ `-code`, 300–307, default 302), else `permanent-redirect`
///   (+ `-code`, 300–308, default 301), and `from-to-www-redirect` (ingress-nginx
///   `annotations/redirect/redirect.go`): a URL outside the validator's characters, or a code
///   that is not a number, is a validation error there and drops the Ingress; a URL whose scheme
///   is not http(s) is a plain error, and the redirect is ignored.
enum RedirectAnnotations: AnnotationGroup {
    static let names = [
        "ssl-redirect", "force-ssl-redirect", "preserve-trailing-slash", "temporal-redirect", "temporal-redirect-code",
        "permanent-redirect", "permanent-redirect-code", "from-to-www-redirect",
    ]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        // The defaults are the controller ConfigMap's (already in the policy).
        annotations.policy.sslRedirect = reader.bool("ssl-redirect", default: annotations.policy.sslRedirect)
        annotations.policy.forceSSLRedirect = reader.bool("force-ssl-redirect", default: annotations.policy.forceSSLRedirect)
        annotations.policy.preserveTrailingSlash = reader.bool(
            "preserve-trailing-slash", default: annotations.policy.preserveTrailingSlash)
        annotations.fromToWWW = reader.bool("from-to-www-redirect", default: false)
        for (name, codeName, defaultCode, maxCode) in [
            ("temporal-redirect", "temporal-redirect-code", 302, 307), ("permanent-redirect", "permanent-redirect-code", 301, 308),
        ] {
            guard let url = reader.value(name) else { continue }
            guard url.utf8.allSatisfy({ AnnotationReader.Characters.isAlphaNumeric($0) || ",:?&=".utf8.contains($0) }) else {
                reader.drop(name, url, expected: "a URL of letters, digits and -._~/:,?&= (ingress-nginx's URLIsValidRegex)")
                return
            }
            var code = defaultCode
            if let text = reader.value(codeName) {
                guard let number = Int(text) else {
                    reader.drop(codeName, text, expected: "a number")
                    return
                }
                if (300...maxCode).contains(number) {
                    code = number
                } else {
                    reader.warn(codeName, "\(number) is not between 300 and \(maxCode); ingress-nginx uses \(defaultCode), and so does Portico")
                }
            }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                reader.warn(name, "\"\(url)\" is not an http or https URL; ingress-nginx ignores the redirect, and so does Portico")
                return
            }
            annotations.policy.redirect = FixedRedirect(code: code, location: url, annotation: name)
            return  // temporal-redirect wins over permanent-redirect
        }
    }
}
