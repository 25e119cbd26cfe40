import PorticoRegex
import PorticoRouting

/// `auth-tls-secret`, `auth-tls-verify-client`, `auth-tls-verify-depth`, `auth-tls-error-page`,
/// `auth-tls-pass-certificate-to-upstream`, `auth-tls-match-cn` (ingress-nginx
/// `annotations/authtls/main.go`): read only with `auth-tls-secret` (`namespace/name`, or a
/// name in the Ingress's namespace), a Secret with `ca.crt` (and `ca.crl`). As there, a bad
/// `auth-tls-verify-client` is `on`, a bad depth is 1, an error page that is not a URL or path
/// is ignored. A Secret that is missing or has no `ca.crt` is ingress-nginx's `AuthTLSError`:
/// every request of the host gets 403.
enum ClientCertificateAnnotations: AnnotationGroup {
    static let names = [
        "auth-tls-secret", "auth-tls-verify-client", "auth-tls-verify-depth", "auth-tls-error-page",
        "auth-tls-pass-certificate-to-upstream", "auth-tls-match-cn",
    ]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let reference = reader.value("auth-tls-secret") else { return }
        let namespace = reader.ingress.metadata.namespace
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name = parts.count == 2 ? reference : "\(namespace)/\(reference)"
        var verify = ClientCertificatePolicy.Verify.on
        if let text = reader.value("auth-tls-verify-client") {
            if let mode = ClientCertificatePolicy.Verify(rawValue: text) {
                verify = mode
            } else {
                reader.fallBack("auth-tls-verify-client", text, expected: "on, off, optional or optional_no_ca", to: "on")
            }
        }
        var depth = 1
        if let text = reader.value("auth-tls-verify-depth") {
            if let number = Int(text), number > 0 { depth = number } else { reader.fallBack("auth-tls-verify-depth", text, expected: "a positive number", to: "1") }
        }
        var ca: [UInt8] = []
        var crl: [UInt8]?
        var problem: String?
        if parts.count > 2 || parts.contains(where: \.isEmpty) {
            problem = "\"\(reference)\" is not name or namespace/name"
        } else if let secret = reader.secrets[name] {
            if let pem = secret.data["ca.crt"], !pem.isEmpty {
                ca = pem
                crl = secret.data["ca.crl"]
            } else {
                problem = "Secret \(name) has no ca.crt"
            }
        } else {
            problem = "Secret \(name) not found"
        }
        var policy = ClientCertificatePolicy(
            handshake: .init(caPEM: ca, crlPEM: crl, verify: verify, depth: depth, secret: name))
        if let problem {
            reader.warn("auth-tls-secret", "\(problem); as ingress-nginx, every request of the Ingress's hosts is answered 403")
            policy.broken = problem
        }
        if let page = reader.value("auth-tls-error-page") {
            if Self.isRedirectTarget(page) {
                policy.errorPage = page
            } else {
                reader.warn("auth-tls-error-page", "\"\(page)\" is not a URL or path; ignored, as ingress-nginx's validation does")
            }
        }
        policy.passCertificate = reader.bool("auth-tls-pass-certificate-to-upstream", default: false)
        if let pattern = reader.value("auth-tls-match-cn") {
            do {
                policy.matchCN = try CompiledRegex(pattern)
            } catch {
                reader.warn("auth-tls-match-cn", "\(error); every client is refused (403) until it compiles, as nginx's failed match refuses")
                policy.broken = "auth-tls-match-cn does not compile"
            }
        }
        annotations.clientCertificate = policy
    }

    /// ingress-nginx's `redirectRegex`: `@name`, or an optional `http(s)://host[:port]` and a path.
    static func isRedirectTarget(_ text: String) -> Bool {
        if text.hasPrefix("@") { return text.count > 1 && text.dropFirst().allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }
        var rest = Substring(text)
        for scheme in ["https://", "http://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._:/".contains($0)) }
    }
}
