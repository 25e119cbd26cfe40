/// v1 ConfigMap. Portico reads one: the controller's settings (`--configmap`), keyed as
/// ingress-nginx's ConfigMap (`internal/ingress/controller/config/config.go`).
public struct ConfigMap: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var data: [String: String]

    public init(metadata: ObjectMeta, location: SourceLocation, data: [String: String]) {
        self.metadata = metadata
        self.location = location
        self.data = data
    }
}
