import PorticoRouting

/// `auth-type: basic` with `auth-secret`, `auth-secret-type` and `auth-realm` (ingress-nginx
/// `annotations/auth/main.go`). What fails there as a `LocationDeniedError` — a missing or
/// cross-namespace Secret, a Secret without the `auth` key, an unknown type — denies the
/// Ingress's paths (503), never serves them unprotected; a value its validators refuse
/// (`auth-secret-type` other than `auth-file`/`auth-map`, a realm with quotes) drops the Ingress.
/// `auth-type: digest` is refused the same way: Portico has no digest authentication, and
/// serving the paths without it would open them.
enum AuthAnnotations: AnnotationGroup {
    static let names = ["auth-type", "auth-secret", "auth-secret-type", "auth-realm"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let type = reader.value("auth-type") else { return }
        let secretType = reader.value("auth-secret-type") ?? "auth-file"
        guard secretType == "auth-file" || secretType == "auth-map" else {
            reader.drop("auth-secret-type", secretType, expected: "auth-file or auth-map")
            return
        }
        let realm = reader.value("auth-realm") ?? ""
        guard realm.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            reader.drop("auth-realm", realm, expected: "printable text without quotes or backslashes")
            return
        }
        func deny(_ name: String, _ reason: String, differs: Bool = false) {
            reader.denyLocation(name, reason, differs: differs)
            annotations.policy.deniedReason = reason
        }
        guard type == "basic" else {
            if type == "digest" {
                deny("auth-type", "digest authentication is not supported; the paths answer 503 rather than go unprotected", differs: true)
            } else {
                deny("auth-type", "\"\(type)\" is not basic or digest; ingress-nginx denies the Ingress's paths, so they answer 503")
            }
            return
        }
        guard let reference = reader.value("auth-secret") else {
            deny("auth-secret", "auth-type is basic but no auth-secret is set; ingress-nginx denies the Ingress's paths, so they answer 503")
            return
        }
        let namespace = reader.ingress.metadata.namespace
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty }) else {
            deny("auth-secret", "\"\(reference)\" is not name or namespace/name; ingress-nginx denies the Ingress's paths, so they answer 503")
            return
        }
        let secretNamespace = parts.count == 2 ? parts[0] : namespace
        let name = "\(secretNamespace)/\(parts.last!)"
        guard secretNamespace == namespace else {
            deny("auth-secret", "Secret \(name) is in another namespace, which ingress-nginx refuses (allow-cross-namespace-resources is off by default); the paths answer 503")
            return
        }
        guard let secret = reader.secrets[name] else {
            deny("auth-secret", "Secret \(name) not found; ingress-nginx denies the Ingress's paths, so they answer 503 until it exists")
            return
        }
        let text: String
        if secretType == "auth-file" {
            guard let auth = secret.data["auth"] else {
                deny("auth-secret", "Secret \(name) has no key auth (the htpasswd lines); the paths answer 503")
                return
            }
            text = String(decoding: auth, as: UTF8.self)
        } else {
            text = secret.data.sorted { $0.key < $1.key }.map { "\($0.key):\(String(decoding: $0.value, as: UTF8.self))" }
                .joined(separator: "\n")
        }
        let users = BasicAuthUsers(htpasswd: text)
        if users.count == 0 {
            reader.warn("auth-secret", "Secret \(name) names no user; every request gets 401")
        }
        annotations.policy.basicAuth = BasicAuthPolicy(realm: realm, secret: name, users: users)
    }
}
