/// `ssl-redirect` (default true), `force-ssl-redirect` (default false) and
/// `preserve-trailing-slash` (default false), applied to every path of the Ingress that sets
/// them (ingress-nginx `annotations/rewrite/main.go`: an invalid value is "defaulting to" the
/// default, never a dropped Ingress).
enum RedirectAnnotations: AnnotationGroup {
    static let names = ["ssl-redirect", "force-ssl-redirect", "preserve-trailing-slash"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        annotations.policy.sslRedirect = reader.bool("ssl-redirect", default: true)
        annotations.policy.forceSSLRedirect = reader.bool("force-ssl-redirect", default: false)
        annotations.policy.preserveTrailingSlash = reader.bool("preserve-trailing-slash", default: false)
    }
}
