/// v1 ConfigMap. Portico reads one: the controller's settings (`--configmap`), keyed as
/// ingress-nginx's ConfigMap (`internal/ingress/controller/config/config.go`).
public struct ConfigMap: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var data: [String: String]
    /// The line of each `data` key in its file (a message about a key points at it); empty for
    /// objects from the API.
    public var dataLines: [String: Int]

    public init(metadata: ObjectMeta, location: SourceLocation, data: [String: String], dataLines: [String: Int] = [:]) {
        self.metadata = metadata
        self.location = location
        self.data = data
        self.dataLines = dataLines
    }
}
