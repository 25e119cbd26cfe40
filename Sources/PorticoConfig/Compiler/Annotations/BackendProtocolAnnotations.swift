import PorticoRouting

/// `backend-protocol` (ingress-nginx `annotations/backendprotocol`: one of HTTP, HTTPS, GRPC,
/// GRPCS, AUTO_HTTP, FCGI, any case; anything else is HTTP) and the `proxy-ssl-*` group
/// (`annotations/proxyssl/main.go`). HTTPS is TLS to the endpoints; GRPC is HTTP/2 with prior
/// knowledge (nginx's `grpc_pass grpc://`), GRPCS HTTP/2 over TLS with ALPN `h2`
/// (`grpc_pass grpcs://`, which the `proxy-ssl-*` annotations configure too, as nginx.tmpl's
/// `grpc_ssl_*` lines take them); FCGI is warned about and proxied as HTTP/1.1.
///
/// As ingress-nginx's parser, the `proxy-ssl-*` values are read only with `proxy-ssl-secret`
/// (a Secret of this namespace with `ca.crt`, and `tls.crt`/`tls.key` for a client
/// certificate); a secret that is missing, elsewhere or without `ca.crt` denies the paths
/// (503). Without it, TLS to the upstream is unverified and sends no SNI (nginx's defaults).
enum BackendProtocolAnnotations: AnnotationGroup {
    static let names = [
        "backend-protocol", "proxy-ssl-secret", "proxy-ssl-verify", "proxy-ssl-verify-depth", "proxy-ssl-name", "proxy-ssl-server-name",
        "proxy-ssl-protocols", "proxy-ssl-ciphers",
    ]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let text = reader.value("backend-protocol") else { return }
        var tls = UpstreamTLS()
        switch text.trimmingCharacters(in: .whitespaces).uppercased() {
        case "HTTP", "AUTO_HTTP": return
        case "HTTPS": break
        case "GRPC":
            annotations.upstreamHTTP2 = true
            return
        case "GRPCS":
            annotations.upstreamHTTP2 = true
            tls.offersHTTP2 = true
        case "FCGI":
            reader.warn("backend-protocol", "\(text) is not supported yet; the paths are proxied over HTTP/1.1", differs: true)
            return
        default:
            reader.fallBack("backend-protocol", text, expected: "one of HTTP, HTTPS, GRPC, GRPCS, AUTO_HTTP, FCGI", to: "HTTP")
            return
        }
        defer { annotations.upstreamTLS = tls }
        guard let reference = reader.value("proxy-ssl-secret") else { return }
        let namespace = reader.ingress.metadata.namespace
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name = parts.count == 2 ? reference : "\(namespace)/\(reference)"
        let problem: String?
        if parts.count > 2 || parts.contains(where: \.isEmpty) {
            problem = "\"\(reference)\" is not name or namespace/name"
        } else if parts.count == 2, parts[0] != namespace {
            problem = "Secret \(name) is in another namespace, which ingress-nginx refuses (allow-cross-namespace-resources is off by default)"
        } else if let secret = reader.secrets[name] {
            if let ca = secret.data["ca.crt"], !ca.isEmpty {
                tls.trustedCertificatesPEM = ca
                tls.clientCertificatePEM = secret.data["tls.crt"]
                tls.clientKeyPEM = secret.data["tls.key"]
                tls.secret = name
                problem = nil
            } else {
                problem = "Secret \(name) has no ca.crt"
            }
        } else {
            problem = "Secret \(name) not found"
        }
        if let problem {
            reader.denyLocation("proxy-ssl-secret", "\(problem); ingress-nginx denies the Ingress's paths, so they answer 503")
            annotations.policy.deniedReason = "invalid proxy-ssl-secret"
            return
        }
        // `^(on|off)$`; anything else is the default, off.
        tls.verify = reader.value("proxy-ssl-verify") == "on"
        tls.sendsServerName = reader.value("proxy-ssl-server-name") == "on"
        if let depth = reader.value("proxy-ssl-verify-depth").flatMap({ Int($0) }), depth > 0 { tls.verifyDepth = depth }
        if let text = reader.value("proxy-ssl-protocols") {
            // ingress-nginx falls back to its default (TLSv1.2) on a bad value; Portico to
            // TLS 1.2–1.3, which reaches every upstream that default did.
            if let range = ControllerConfigMap.Key.protocolRange(text) {
                tls.protocols = range
            } else {
                reader.fallBack("proxy-ssl-protocols", text, expected: "a space-separated list of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3", to: "TLSv1.2 TLSv1.3")
            }
        }
        if let text = reader.value("proxy-ssl-ciphers") {
            // `proxySSLCiphersRegex`: `^[A-Za-z0-9\+:\_\-!]*$`.
            if text.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "+:_-!".utf8.contains($0) }) {
                tls.ciphers = text
            } else {
                reader.fallBack("proxy-ssl-ciphers", text, expected: "an OpenSSL cipher list", to: "OpenSSL's default")
            }
        }
        if let name = reader.value("proxy-ssl-name") {
            if AnnotationReader.Characters.isServerName(name) {
                tls.name = name
            } else {
                reader.fallBack("proxy-ssl-name", name, expected: "a host name", to: "the Service's name")
            }
        }
    }
}
