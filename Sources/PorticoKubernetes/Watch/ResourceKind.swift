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
    /// Served by a CustomResourceDefinition that a cluster may not have (the Gateway API's):
    /// while the API answers 404 for it, the kind counts as listed and empty, and is listed
    /// again from time to time in case the CRDs are installed.
    public var optional = false

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

    /// The Gateway API kinds (gateway.networking.k8s.io; ReferenceGrant is still `v1beta1` in
    /// the standard channel).
    public static let gatewayClasses = ResourceKind(
        kind: "GatewayClass", apiVersion: "gateway.networking.k8s.io/v1", resource: "gatewayclasses", namespaced: false, optional: true)
    public static let gateways = ResourceKind(
        kind: "Gateway", apiVersion: "gateway.networking.k8s.io/v1", resource: "gateways", namespaced: true, optional: true)
    public static let httpRoutes = ResourceKind(
        kind: "HTTPRoute", apiVersion: "gateway.networking.k8s.io/v1", resource: "httproutes", namespaced: true, optional: true)
    public static let grpcRoutes = ResourceKind(
        kind: "GRPCRoute", apiVersion: "gateway.networking.k8s.io/v1", resource: "grpcroutes", namespaced: true, optional: true)
    public static let referenceGrants = ResourceKind(
        kind: "ReferenceGrant", apiVersion: "gateway.networking.k8s.io/v1beta1", resource: "referencegrants", namespaced: true, optional: true)
    public static let gatewayAPI: [ResourceKind] = [.gatewayClasses, .gateways, .httpRoutes, .grpcRoutes, .referenceGrants]

    /// Namespaces, for their labels: a Gateway listener may admit routes by them.
    public static let namespaces = ResourceKind(kind: "Namespace", apiVersion: "v1", resource: "namespaces", namespaced: false)

    /// Everything the provider watches. RBAC in `deploy/` grants exactly list and watch on these.
    public static let watched: [ResourceKind] = [.ingressClasses, .ingresses, .services, .endpointSlices, .secrets] + Self.gatewayAPI + [.namespaces]

    public init(
        kind: String, apiVersion: String, resource: String, namespaced: Bool, fieldSelector: String? = nil, pinnedNamespace: String? = nil,
        optional: Bool = false
    ) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.resource = resource
        self.namespaced = namespaced
        self.fieldSelector = fieldSelector
        self.pinnedNamespace = pinnedNamespace
        self.optional = optional
    }
}
