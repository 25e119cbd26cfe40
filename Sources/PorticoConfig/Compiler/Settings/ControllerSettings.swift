import PorticoRouting

/// What the controller ConfigMap says, split by who reads it: the data plane's own settings
/// (`server`, carried in the snapshot) and the defaults every location starts from before its
/// Ingress's annotations apply (`location`: ingress-nginx's `defaults.Backend`, which its
/// annotation parsers fall back to).
public struct ControllerSettings: Equatable, Sendable {
    public var server = ServerSettings()
    /// The policy a route has when its Ingress sets no annotation.
    public var location = RoutePolicy()
    /// `custom-http-errors`: the codes every location intercepts unless its Ingress sets its own.
    public var customErrors: [Int] = []
    /// The value in force for each key read: the ConfigMap's own, or the last good one it
    /// replaced badly. What the next read falls back to.
    public var inForce: [String: String] = [:]
    /// `add-headers` and `proxy-set-headers`: the fields every route's answers and upstream
    /// requests carry (an Ingress's own header policies layer over them).
    public var headers: HeaderPolicy?
    /// `global-allowed-response-headers`: the only names an Ingress's `custom-headers` may set.
    public var allowedResponseHeaders: Set<String> = []
    /// The ConfigMaps `add-headers` and `proxy-set-headers` name, `namespace/name`.
    var addHeadersConfigMap: String?
    var proxySetHeadersConfigMap: String?

    public init() {}
}
