/// v1 Namespace: its labels, which a Gateway listener's `allowedRoutes.namespaces.selector`
/// selects route namespaces by.
public struct Namespace: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation

    public init(metadata: ObjectMeta, location: SourceLocation) {
        self.metadata = metadata
        self.location = location
    }

    /// Its labels with `kubernetes.io/metadata.name`, which the API server sets on every
    /// namespace (Kubernetes 1.21+); also what a namespace no manifest declares has.
    public static func labels(of name: String, declared: [String: String] = [:]) -> [String: String] {
        declared.merging(["kubernetes.io/metadata.name": name]) { _, set in set }
    }
}
