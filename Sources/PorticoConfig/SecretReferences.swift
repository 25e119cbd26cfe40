import PorticoKube

/// Which Secrets the compiler can use, so a cluster's other Secrets (tokens, registry
/// credentials, …) never reach the compiled state and their churn never recompiles routes:
/// TLS Secrets (`kubernetes.io/tls`, or any type with `tls.crt`, as ingress-nginx accepts), and
/// the Secrets Ingresses name in `auth-secret`.
public struct SecretReferences: Sendable {
    private var named: Set<String> = []

    public init(ingresses: some Sequence<Ingress>) {
        for ingress in ingresses {
            guard let reference = ingress.metadata.annotations[AnnotationReader.prefix + "auth-secret"], !reference.isEmpty else {
                continue
            }
            self.named.insert(reference.contains("/") ? reference : "\(ingress.metadata.namespace)/\(reference)")
        }
    }

    public func needs(_ secret: Secret) -> Bool {
        secret.type == "kubernetes.io/tls" || secret.data["tls.crt"] != nil
            || self.named.contains("\(secret.metadata.namespace)/\(secret.metadata.name)")
    }
}

