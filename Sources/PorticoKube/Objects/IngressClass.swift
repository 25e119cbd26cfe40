/// networking.k8s.io/v1 IngressClass.
public struct IngressClass: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var controller: String
    /// `ingressclass.kubernetes.io/is-default-class: "true"`.
    public var isDefault: Bool

    public init(metadata: ObjectMeta, location: SourceLocation, controller: String, isDefault: Bool = false) {
        self.metadata = metadata
        self.location = location
        self.controller = controller
        self.isDefault = isDefault
    }
}
