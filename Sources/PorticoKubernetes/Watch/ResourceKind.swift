/// One kind Portico lists and watches, and where the API serves it.
public struct ResourceKind: Hashable, Sendable, CustomStringConvertible {
    public var kind: String
    public var apiVersion: String
    /// The plural resource name in URLs ("ingresses").
    public var resource: String
    public var namespaced: Bool
    /// Narrows what is listed and watched: Secrets except Helm's release records, as
    /// ingress-nginx's Secret informer (`type!=helm.sh/release.v1`); basic-auth Secrets are
    /// Opaque, so a `type=kubernetes.io/tls` selector would miss them. `ObjectStore` passes
    /// on only the Secrets the compiler can use (`SecretReferences`).
    public var fieldSelector: String?
    /// Watched in this namespace whatever `--namespace` says (the controller's own ConfigMap).
    public var pinnedNamespace: String?

    public var description: String { self.resource }

    /// `/apis/networking.k8s.io/v1` or `/api/v1`.
    var groupPath: String { self.apiVersion.contains("/") ? "/apis/\(self.apiVersion)" : "/api/\(self.apiVersion)" }

    /// The collection URL, across all namespaces or in one.
    func collectionPath(namespace: String?) -> String {
        if self.namespaced, let namespace { return "\(self.groupPath)/namespaces/\(namespace)/\(self.resource)" }
        return "\(self.groupPath)/\(self.resource)"
    }

    public static let ingresses = ResourceKind(kind: "Ingress", apiVersion: "networking.k8s.io/v1", resource: "ingresses", namespaced: true)
    public static let ingressClasses = ResourceKind(kind: "IngressClass", apiVersion: "networking.k8s.io/v1", resource: "ingressclasses", namespaced: false)
    public static let services = ResourceKind(kind: "Service", apiVersion: "v1", resource: "services", namespaced: true)
    public static let endpointSlices = ResourceKind(kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", resource: "endpointslices", namespaced: true)
    public static let secrets = ResourceKind(kind: "Secret", apiVersion: "v1", resource: "secrets", namespaced: true, fieldSelector: "type!=helm.sh/release.v1")

    /// Every ConfigMap (in `--namespace`, or all): the controller's and the header ConfigMaps
    /// it and Ingresses name; `ObjectStore` passes on only those (`ConfigMapReferences`).
    public static let configMaps = ResourceKind(kind: "ConfigMap", apiVersion: "v1", resource: "configmaps", namespaced: true)

    /// The controller ConfigMap (`--configmap namespace/name`) when `--namespace` leaves its
    /// namespace out: that one object, by a `metadata.name` field selector.
    public static func configMap(namespace: String, name: String) -> ResourceKind {
        ResourceKind(
            kind: "ConfigMap", apiVersion: "v1", resource: "configmaps", namespaced: true, fieldSelector: "metadata.name=\(name)",
            pinnedNamespace: namespace)
    }

    /// Everything the provider watches. RBAC in `deploy/` grants exactly list and watch on these.
    public static let watched: [ResourceKind] = [.ingressClasses, .ingresses, .services, .endpointSlices, .secrets]
}
