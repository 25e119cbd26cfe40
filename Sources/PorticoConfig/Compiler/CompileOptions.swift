/// What the compiler needs to know about this controller.
public struct CompileOptions: Sendable {
    /// The IngressClass name that is ours (`--ingress-class`).
    public var ingressClass: String
    /// `spec.controller` of IngressClasses that are ours.
    public var controllerName: String

    /// `--default-ssl-certificate namespace/name`: the Secret (or `certs/` pair) served to SNI
    /// names no Ingress covers. Without it, `certs/default.crt` + `.key`, else a generated one.
    public var defaultSSLCertificate: String?

    /// Serve Ingresses that name no class. True for a directory of manifests (they are all
    /// meant for Portico); in a cluster only with `--watch-ingress-without-class`, as
    /// ingress-nginx, since other controllers may share it.
    public var watchIngressWithoutClass: Bool

    /// `--configmap namespace/name`: the ConfigMap of controller settings, with ingress-nginx's
    /// keys. Nil: ingress-nginx's defaults throughout.
    public var configMap: String?

    /// `--default-backend-service namespace/name` (ingress-nginx's flag): the Service that
    /// answers requests no rule matches, when no Ingress's `spec.defaultBackend` does, and the
    /// pages of the ConfigMap's `custom-http-errors`.
    public var defaultBackendService: String?

    /// `--enable-ssl-passthrough`: the `ssl-passthrough` annotation is acted on.
    public var enableSSLPassthrough: Bool

    /// `spec.controllerName` of GatewayClasses that are ours.
    public var gatewayControllerName = CompileOptions.defaultGatewayControllerName

    public init(
        ingressClass: String = "portico", controllerName: String = CompileOptions.defaultControllerName,
        defaultSSLCertificate: String? = nil, watchIngressWithoutClass: Bool = true, configMap: String? = nil,
        defaultBackendService: String? = nil, enableSSLPassthrough: Bool = false
    ) {
        self.enableSSLPassthrough = enableSSLPassthrough
        self.configMap = configMap
        self.defaultBackendService = defaultBackendService
        self.watchIngressWithoutClass = watchIngressWithoutClass
        self.ingressClass = ingressClass
        self.controllerName = controllerName
        self.defaultSSLCertificate = defaultSSLCertificate
    }

    public static let defaultControllerName = "portico.dev/ingress-controller"
    public static let defaultGatewayControllerName = "portico.dev/gateway-controller"
}
